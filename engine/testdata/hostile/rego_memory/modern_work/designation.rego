# A verdict that asks for about 100 GB: numbers.range builds the whole
# array before count sees it. Loading must stop it with a memory error.
package modern_work

result := {
	"qualified": false,
	"track": "enterprise",
	"score": 0,
	"tracks": {t: {"score": 0, "qualified": false} | some t, _ in input.tracks},
	"big": count(numbers.range(1, 1000000000)),
}

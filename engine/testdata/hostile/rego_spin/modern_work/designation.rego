# A verdict that runs for hours on little memory: ten billion pairs, none
# kept. Loading must stop it with a time error.
package modern_work

result := {
	"qualified": false,
	"track": "enterprise",
	"score": 0,
	"tracks": {t: {"score": 0, "qualified": false} | some t, _ in input.tracks},
	"spin": count([1 | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000); i == j + 1000000]),
}

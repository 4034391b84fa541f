package engine

import "sync"

// levelMemo remembers the values of an expression that reads only its
// level (track, metric, option) and the evaluation date, never a partner:
// a plan's effort and the certifications it names are the same for every
// partner of a population, and were evaluated on cel-go for each one.
// Safe for concurrent use; errors are not remembered.
type levelMemo[T any] struct {
	mu sync.Mutex
	m  map[string]T
	// limit bounds the memo (0: maxLevelMemo).
	limit int
}

// maxLevelMemo bounds a memo: a population with a different evaluation
// date for every partner evaluates past it instead of growing it.
const maxLevelMemo = 4096

// get is the value for key, from eval the first time.
func (lm *levelMemo[T]) get(key string, eval func() (T, error)) (T, error) {
	lm.mu.Lock()
	v, ok := lm.m[key]
	lm.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := eval()
	if err != nil {
		return v, err
	}
	lm.keep([]byte(key), v)
	return v, nil
}

// lookup is the value remembered for key.
func (lm *levelMemo[T]) lookup(key []byte) (T, bool) {
	lm.mu.Lock()
	v, ok := lm.m[string(key)]
	lm.mu.Unlock()
	return v, ok
}

// keep remembers v for key while the memo has room.
func (lm *levelMemo[T]) keep(key []byte, v T) {
	limit := lm.limit
	if limit == 0 {
		limit = maxLevelMemo
	}
	lm.mu.Lock()
	if lm.m == nil {
		lm.m = map[string]T{}
	}
	if len(lm.m) < limit {
		lm.m[string(key)] = v
	}
	lm.mu.Unlock()
}

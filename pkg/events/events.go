package events

import (
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
)

// Event is one event about an object. Type is corev1.EventTypeNormal or EventTypeWarning, Reason a CamelCase
// constant of the publishing controller, Action what the controller did or tried, and Note the human-readable
// message, already formatted.
type Event struct {
	Type, Reason, Action, Note string
}

// Recorder publishes Events through an events.EventRecorder, dropping duplicates. It is safe for concurrent use.
type Recorder struct {
	recorder events.EventRecorder
	clock    clock.PassiveClock
	window   time.Duration

	mu sync.Mutex
	// seen holds, for each event published within the window, when it may be published again.
	seen map[key]time.Time
	// sweepAt is when seen is next cleared of expired entries: sweeping at most once per window keeps seen no
	// larger than the events of two windows without walking the map on every call.
	sweepAt time.Time
}

// key identifies an event about one object. The object's Go type stands in for its kind because typed objects
// read through a client often carry an empty TypeMeta, and the same object must give the same key either way.
type key struct {
	kind, namespace, name string
	uid                   types.UID
	reason, note          string
}

// NewRecorder returns a Recorder that publishes through r and drops an event identical to one published within
// window, as measured by clk. A nil r publishes nothing; a window of 0 or less drops nothing; a nil clk is the
// real clock.
func NewRecorder(r events.EventRecorder, clk clock.PassiveClock, window time.Duration) *Recorder {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Recorder{recorder: r, clock: clk, window: max(window, 0), seen: map[key]time.Time{}}
}

// Publish records e about obj unless an identical event (same object UID, kind and name, same reason and note)
// was published within the window. It reports whether e was new; it keeps track even without an underlying
// recorder, so that a caller can act on the first occurrence of something (such as observing a latency once)
// whether or not events are recorded. An object without metadata is never deduplicated.
func (r *Recorder) Publish(obj runtime.Object, e Event) bool {
	if r.window > 0 {
		k, ok := keyOf(obj, e)
		if ok && !r.remember(k) {
			return false
		}
	}
	if r.recorder != nil {
		r.recorder.Eventf(obj, nil, e.Type, e.Reason, e.Action, "%s", Truncate(e.Note))
	}
	return true
}

// MaxNoteLength is the longest note the API server stores in an events.k8s.io/v1 Event; a longer one is
// rejected and the event lost.
const MaxNoteLength = 1024

// Truncate shortens a note to MaxNoteLength bytes, marking the cut and not splitting a UTF-8 character.
func Truncate(note string) string {
	if len(note) <= MaxNoteLength {
		return note
	}
	const mark = " [truncated]"
	cut := MaxNoteLength - len(mark)
	for cut > 0 && !utf8.RuneStart(note[cut]) {
		cut--
	}
	return note[:cut] + mark
}

// remember records k as published now and reports whether it was not already within the window.
func (r *Recorder) remember(k key) bool {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !now.Before(r.sweepAt) {
		for old, until := range r.seen {
			if !now.Before(until) {
				delete(r.seen, old)
			}
		}
		r.sweepAt = now.Add(r.window)
	}
	if until, ok := r.seen[k]; ok && now.Before(until) {
		return false
	}
	r.seen[k] = now.Add(r.window)
	return true
}

func keyOf(obj runtime.Object, e Event) (key, bool) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return key{}, false
	}
	kind := fmt.Sprintf("%T", obj)
	if _, ok := obj.(runtime.Unstructured); ok {
		// One Go type holds every kind, so only the kind it names tells two such objects apart.
		kind += "/" + obj.GetObjectKind().GroupVersionKind().Kind
	}
	return key{kind: kind, namespace: m.GetNamespace(), name: m.GetName(), uid: m.GetUID(), reason: e.Reason, note: e.Note}, true
}

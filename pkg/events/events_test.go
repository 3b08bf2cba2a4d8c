package events

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
)

const window = 2 * time.Minute

func pod(name, uid string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID(uid)}}
}

func node(name, uid string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(uid)}}
}

func warning(note string) Event {
	return Event{Type: corev1.EventTypeWarning, Reason: "Blocked", Action: "Evict", Note: note}
}

func newFixture(w time.Duration) (*Recorder, *events.FakeRecorder, *clocktesting.FakeClock) {
	fake := events.NewFakeRecorder(1000)
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return NewRecorder(fake, clk, w), fake, clk
}

// drain returns the events recorded so far.
func drain(fake *events.FakeRecorder) []string {
	var got []string
	for {
		select {
		case e := <-fake.Events:
			got = append(got, e)
		default:
			return got
		}
	}
}

func TestPublishDropsDuplicatesWithinWindow(t *testing.T) {
	r, fake, clk := newFixture(window)
	p := pod("web", "u1")
	steps := []struct {
		advance time.Duration
		want    bool
	}{
		{0, true},
		{0, false},
		{window - time.Second, false}, // a duplicate does not extend the window
		{time.Second, true},           // exactly one window after the first
		{window / 2, false},
	}
	var published int
	for i, s := range steps {
		clk.Step(s.advance)
		if got := r.Publish(p, warning("blocked by pdb web")); got != s.want {
			t.Fatalf("step %d: Publish = %t, want %t", i, got, s.want)
		}
		if s.want {
			published++
		}
	}
	if got := drain(fake); len(got) != published {
		t.Errorf("recorded %d events %q, want %d", len(got), got, published)
	}
}

func TestPublishTellsEventsApart(t *testing.T) {
	first := warning("blocked")
	tests := []struct {
		name string
		obj  runtime.Object
		e    Event
		want bool
	}{
		{"same object, reason and note", pod("web", "u1"), first, false},
		{"same event, other type and action", pod("web", "u1"), Event{Type: corev1.EventTypeNormal, Reason: "Blocked", Action: "Drain", Note: "blocked"}, false},
		{"other note", pod("web", "u1"), warning("blocked again"), true},
		{"other reason", pod("web", "u1"), Event{Type: corev1.EventTypeWarning, Reason: "Evicted", Action: "Evict", Note: "blocked"}, true},
		{"other uid, same name", pod("web", "u2"), first, true},
		{"other name", pod("api", "u1"), first, true},
		{"other kind, same name and uid", node("web", "u1"), first, true},
		{"other namespace", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "prod", Name: "web", UID: "u1"}}, first, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, fake, _ := newFixture(window)
			r.Publish(pod("web", "u1"), first)
			drain(fake)
			if got := r.Publish(tt.obj, tt.e); got != tt.want {
				t.Errorf("Publish = %t, want %t", got, tt.want)
			}
			if got := len(drain(fake)); got != map[bool]int{false: 0, true: 1}[tt.want] {
				t.Errorf("recorded %d events, want published = %t", got, tt.want)
			}
		})
	}
}

func TestZeroWindowPublishesEverything(t *testing.T) {
	r, fake, _ := newFixture(0)
	for i := range 3 {
		if !r.Publish(pod("web", "u1"), warning("blocked")) {
			t.Fatalf("publish %d dropped, want every event published without a window", i)
		}
	}
	if got := drain(fake); len(got) != 3 {
		t.Errorf("recorded %q, want 3 events", got)
	}
}

func TestPublishPassesTheEventThrough(t *testing.T) {
	r, fake, _ := newFixture(window)
	fake.Verbose = true
	// The note is already formatted, so a percent sign in it must reach the user as it is.
	r.Publish(pod("web", "u1"), Event{Type: corev1.EventTypeWarning, Reason: "DiskPressure", Action: "Drain", Note: "disk 100% full"})
	want := "Warning DiskPressure Drain disk 100% full"
	if got := drain(fake); len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Errorf("recorded %q, want one event starting %q", got, want)
	}
}

func TestNilRecorderPublishesNothingButStillDedupes(t *testing.T) {
	r := NewRecorder(nil, clocktesting.NewFakePassiveClock(time.Now()), window)
	if !r.Publish(pod("web", "u1"), warning("blocked")) {
		t.Error("first Publish = false, want true")
	}
	if r.Publish(pod("web", "u1"), warning("blocked")) {
		t.Error("second Publish = true, want the duplicate reported")
	}
}

func TestConcurrentPublishesRecordOnce(t *testing.T) {
	r, fake, _ := newFixture(window)
	var wg sync.WaitGroup
	var news atomic.Int32
	for range 50 {
		wg.Go(func() {
			if r.Publish(pod("web", "u1"), warning("blocked")) {
				news.Add(1)
			}
		})
	}
	wg.Wait()
	if got := drain(fake); len(got) != 1 || news.Load() != 1 {
		t.Errorf("recorded %q and %d reported new, want exactly one", got, news.Load())
	}
}

func TestExpiredEventsAreForgotten(t *testing.T) {
	r, _, clk := newFixture(window)
	for i := range 100 {
		r.Publish(pod(fmt.Sprintf("web-%d", i), fmt.Sprintf("u%d", i)), warning("blocked"))
	}
	clk.Step(window)
	r.Publish(pod("api", "u-api"), warning("blocked"))
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) != 1 {
		t.Errorf("remembered %d events after the window passed, want only the 1 published since", len(r.seen))
	}
}

// The API server rejects an event whose note is over 1,024 characters, and the event is lost: a long launch
// error must still reach the user, cut short.
func TestLongNotesAreTruncatedNotLost(t *testing.T) {
	r, fake, _ := newFixture(window)
	long := strings.Repeat("é", 700) // 1,400 bytes
	r.Publish(pod("web", "u1"), warning(long))
	got := drain(fake)
	if len(got) != 1 {
		t.Fatalf("recorded %d events, want 1", len(got))
	}
	note := got[0][strings.Index(got[0], "é"):]
	note = note[:strings.Index(note, " [truncated]")+len(" [truncated]")]
	if len(note) > MaxNoteLength || !strings.HasSuffix(note, "[truncated]") || !utf8Valid(note) {
		t.Errorf("note of %d bytes %q..., want at most %d bytes, valid UTF-8, marked truncated", len(note), note[:20], MaxNoteLength)
	}
	if short := "ok"; Truncate(short) != short {
		t.Errorf("Truncate changed a short note")
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

package desk

import "sync"

// Event is one event sent to the frontend: listeners are called with Data spread as
// arguments, as Wails does.
type Event struct {
	Name string `json:"name"`
	Data []any  `json:"data"`
}

// HeadlessRuntime is the Runtime with no window, for Go tests and the browser-test harness.
// Events go to subscribers (the harness forwards them to the browser); dialogs answer with
// the paths queued by AnswerOpenFile / AnswerSaveFile, or "" (cancelled) when none is
// queued; DropFiles plays the part of a user dropping files onto the window.
type HeadlessRuntime struct {
	mu     sync.Mutex
	nextID int
	subs   map[int]func(Event)
	drops  []func(x, y int, paths []string)
	opens  []string
	saves  []string
}

// NewHeadlessRuntime returns a runtime with no subscribers and no queued answers.
func NewHeadlessRuntime() *HeadlessRuntime {
	return &HeadlessRuntime{subs: make(map[int]func(Event))}
}

// Subscribe calls fn for every event from now on, in emission order, on the emitting
// goroutine; fn must not block. The returned function unsubscribes.
func (r *HeadlessRuntime) Subscribe(fn func(Event)) (cancel func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.nextID
	r.nextID++
	r.subs[id] = fn
	return func() {
		r.mu.Lock()
		delete(r.subs, id)
		r.mu.Unlock()
	}
}

func (r *HeadlessRuntime) Emit(event string, data any) {
	r.publish(Event{Name: event, Data: []any{data}})
}

func (r *HeadlessRuntime) publish(e Event) {
	r.mu.Lock()
	subs := make([]func(Event), 0, len(r.subs))
	for _, fn := range r.subs {
		subs = append(subs, fn)
	}
	r.mu.Unlock()
	for _, fn := range subs {
		fn(e)
	}
}

// AnswerOpenFile queues path as the answer to the next OpenFileDialog.
func (r *HeadlessRuntime) AnswerOpenFile(path string) {
	r.mu.Lock()
	r.opens = append(r.opens, path)
	r.mu.Unlock()
}

// AnswerSaveFile queues path as the answer to the next SaveFileDialog.
func (r *HeadlessRuntime) AnswerSaveFile(path string) {
	r.mu.Lock()
	r.saves = append(r.saves, path)
	r.mu.Unlock()
}

func (r *HeadlessRuntime) OpenFileDialog(OpenFileOptions) (string, error) {
	return r.next(&r.opens), nil
}

func (r *HeadlessRuntime) SaveFileDialog(SaveFileOptions) (string, error) {
	return r.next(&r.saves), nil
}

func (r *HeadlessRuntime) next(q *[]string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(*q) == 0 {
		return ""
	}
	p := (*q)[0]
	*q = (*q)[1:]
	return p
}

func (r *HeadlessRuntime) OnFileDrop(fn func(x, y int, paths []string)) {
	r.mu.Lock()
	r.drops = append(r.drops, fn)
	r.mu.Unlock()
}

// DropFiles does what Wails does when files are dropped onto the window: it calls the Go
// handlers registered with OnFileDrop and sends the frontend the "wails:file-drop" event.
func (r *HeadlessRuntime) DropFiles(x, y int, paths []string) {
	r.mu.Lock()
	drops := make([]func(x, y int, paths []string), len(r.drops))
	copy(drops, r.drops)
	r.mu.Unlock()
	for _, fn := range drops {
		fn(x, y, paths)
	}
	r.publish(Event{Name: EventFileDrop, Data: []any{x, y, paths}})
}

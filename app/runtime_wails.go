package app

import (
	"context"
	"errors"
	"gatehouse/backend/desk"
	"sync"

	wailsruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

// errNoWindow is returned by WailsRuntime dialogs before Wails has started the window.
var errNoWindow = errors.New("the Gatehouse window is not open yet; try again in a moment")

// WailsRuntime is the Runtime of the desktop window. It does nothing until Wails hands the
// App its context in OnStartup (App.Startup attaches it), so that no runtime function is ever
// called with a context Wails did not create.
type WailsRuntime struct {
	mu  sync.RWMutex
	ctx context.Context
}

// NewWailsRuntime returns a runtime for the desktop window; pass it to New.
func NewWailsRuntime() *WailsRuntime { return &WailsRuntime{} }

// attach is called by App.Startup with the context Wails gave OnStartup.
func (r *WailsRuntime) attach(ctx context.Context) {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
}

func (r *WailsRuntime) context() context.Context {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.ctx
}

func (r *WailsRuntime) Emit(event string, data any) {
	if ctx := r.context(); ctx != nil {
		wailsruntime.EventsEmit(ctx, event, data)
	}
}

func (r *WailsRuntime) OpenFileDialog(opts desk.OpenFileOptions) (string, error) {
	ctx := r.context()
	if ctx == nil {
		return "", errNoWindow
	}
	return wailsruntime.OpenFileDialog(ctx, wailsruntime.OpenDialogOptions{
		Title:            opts.Title,
		DefaultDirectory: opts.DefaultDirectory,
		Filters:          wailsFilters(opts.Filters),
	})
}

func (r *WailsRuntime) SaveFileDialog(opts desk.SaveFileOptions) (string, error) {
	ctx := r.context()
	if ctx == nil {
		return "", errNoWindow
	}
	return wailsruntime.SaveFileDialog(ctx, wailsruntime.SaveDialogOptions{
		Title:                opts.Title,
		DefaultDirectory:     opts.DefaultDirectory,
		DefaultFilename:      opts.DefaultFilename,
		Filters:              wailsFilters(opts.Filters),
		CanCreateDirectories: true,
	})
}

// OnFileDrop needs the Wails context, so a callback registered before the window exists is
// an error in the wiring: register drop handlers in App.Startup or later.
func (r *WailsRuntime) OnFileDrop(fn func(x, y int, paths []string)) {
	if ctx := r.context(); ctx != nil {
		wailsruntime.OnFileDrop(ctx, fn)
	}
}

func wailsFilters(fs []desk.FileFilter) []wailsruntime.FileFilter {
	out := make([]wailsruntime.FileFilter, len(fs))
	for i, f := range fs {
		out[i] = wailsruntime.FileFilter{DisplayName: f.DisplayName, Pattern: f.Pattern}
	}
	return out
}

package desk

// Runtime is what the App needs from the window it runs in: events to the frontend, native
// file dialogs and files dropped onto the window. The desktop build uses WailsRuntime; tests
// and the browser-test harness use HeadlessRuntime. Bound methods reach the window only
// through this interface because calling a Wails runtime function with a context that did not
// come from Wails ends the whole process.
type Runtime interface {
	// Emit sends an event to the frontend, where runtime.EventsOn(event, cb) calls cb(data).
	// Use it for progress ("import:progress") and for changes the UI did not ask for.
	Emit(event string, data any)
	// OpenFileDialog asks the user for one existing file. It returns "" when the user
	// cancels.
	OpenFileDialog(opts OpenFileOptions) (string, error)
	// SaveFileDialog asks the user where to save a file. It returns "" when the user
	// cancels.
	SaveFileDialog(opts SaveFileOptions) (string, error)
	// OnFileDrop registers fn to be called with the absolute paths of files dropped onto the
	// window and the drop position in CSS pixels. The frontend receives the same drop as the
	// "wails:file-drop" event (runtime.OnFileDrop in JS).
	OnFileDrop(fn func(x, y int, paths []string))
}

// FileFilter limits a file dialog to matching files. Pattern is a semicolon-separated list
// of globs: "*.xlsx;*.csv".
type FileFilter struct {
	DisplayName string `json:"displayName"`
	Pattern     string `json:"pattern"`
}

// OpenFileOptions configures OpenFileDialog.
type OpenFileOptions struct {
	Title            string       `json:"title"`
	DefaultDirectory string       `json:"defaultDirectory"`
	Filters          []FileFilter `json:"filters"`
}

// SaveFileOptions configures SaveFileDialog.
type SaveFileOptions struct {
	Title            string       `json:"title"`
	DefaultDirectory string       `json:"defaultDirectory"`
	DefaultFilename  string       `json:"defaultFilename"`
	Filters          []FileFilter `json:"filters"`
}

// EventFileDrop is the event Wails sends the frontend, with x, y and paths, when files are
// dropped onto the window.
const EventFileDrop = "wails:file-drop"

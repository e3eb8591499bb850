// Package sheets reads contact lists from .xlsx and .csv files as a stream of rows and
// writes styled .xlsx reports. Reading never drops text silently: anything it cannot read
// is an error that names the file, sheet, row and column.
package sheets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gatehouse/backend/portal"
)

// Format is the kind of file being read.
type Format string

const (
	FormatXLSX Format = "xlsx"
	FormatCSV  Format = "csv"
)

// Limits bound what a file may make the reader do, so that a hostile or broken file
// (a zip bomb, a sheet claiming a million columns) fails early instead of exhausting memory.
type Limits struct {
	MaxFileBytes     int64 // size of the file on disk
	MaxUnzippedBytes int64 // all parts of an .xlsx, uncompressed, as the zip directory declares them
	MaxPartBytes     int64 // one part of an .xlsx, uncompressed
	MaxRatio         int64 // uncompressed:compressed ratio of a part larger than 1 MiB
	MaxEntries       int   // parts in an .xlsx
	MaxSharedStrings int64 // bytes of text in the shared-strings table (held in memory)
	MaxRows          int   // rows in the sheet (Excel: 1,048,576)
	MaxColumns       int   // columns in the sheet (Excel: 16,384)
	MaxCellChars     int   // characters in one cell (Excel: 32,767)
}

// DefaultLimits are generous for contact lists: Excel's own row, column and cell limits,
// 256 MiB on disk and 2 GiB uncompressed.
func DefaultLimits() Limits {
	return Limits{
		MaxFileBytes:     256 << 20,
		MaxUnzippedBytes: 2 << 30,
		MaxPartBytes:     1 << 30,
		MaxRatio:         250,
		MaxEntries:       10000,
		MaxSharedStrings: 512 << 20,
		MaxRows:          1048576,
		MaxColumns:       16384,
		MaxCellChars:     32767,
	}
}

// Options control one read. Texty dates ("03/04/2024") are handed out as written; the
// day-first or month-first reading of them is the checks' business (quality.RoleEnd).
type Options struct {
	// Sheet is the worksheet to read; "" reads the first one. Ignored for .csv.
	Sheet string
	// Limits default to DefaultLimits when zero.
	Limits Limits
	// Progress, when set, is called with the number of rows read so far, every
	// ProgressEvery rows (default 1000) and once at the end.
	Progress      func(rowsRead int)
	ProgressEvery int
}

func (o Options) limits() Limits {
	if o.Limits == (Limits{}) {
		return DefaultLimits()
	}
	return o.Limits
}

// Row is one non-empty row of a sheet. Number is the row number the spreadsheet shows
// (1-based; for .csv the record number). Cells holds the text of each cell from column A;
// trailing empty cells are omitted. Real dates are given as 2006-01-02 (with 15:04:05
// when they hold a time), numbers in plain decimal notation, booleans as TRUE/FALSE.
type Row struct {
	Number int
	Cells  []string
}

// Info describes what was read.
type Info struct {
	File      string   `json:"file"`
	Format    Format   `json:"format"`
	Sheet     string   `json:"sheet,omitempty"`
	Sheets    []string `json:"sheets,omitempty"`
	Rows      int      `json:"rows"`                // non-empty rows read
	Encoding  string   `json:"encoding,omitempty"`  // .csv only
	Delimiter string   `json:"delimiter,omitempty"` // .csv only
	Date1904  bool     `json:"date1904,omitempty"`  // .xlsx only
}

// ReadError is a problem with the file being read, located as precisely as possible.
// It carries a portal.Error with code invalid, so portal.ErrorMessage shows it whole.
type ReadError struct {
	File   string
	Sheet  string
	Row    int    // 0 when not about one row
	Column string // column letter(s), "" when not about one cell
	Msg    string
	Err    error // underlying cause, if any
}

func (e *ReadError) Error() string {
	var b strings.Builder
	b.WriteString(filepath.Base(e.File))
	if e.Sheet != "" {
		fmt.Fprintf(&b, ", sheet %q", e.Sheet)
	}
	if e.Row > 0 {
		fmt.Fprintf(&b, ", row %d", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %s", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap exposes both the administrator-facing portal.Error and the cause. The code is
// invalid unless the cause carries another (not_found for a missing file).
func (e *ReadError) Unwrap() []error {
	code := portal.EINVALID
	var pe *portal.Error
	if errors.As(e.Err, &pe) {
		code = pe.Code
	}
	errs := []error{&portal.Error{Code: code, Message: e.Error()}}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// ErrUnsupported is wrapped by errors about files that are not .xlsx or .csv.
var ErrUnsupported = errors.New("unsupported file format")

// ErrLimit is wrapped by errors about files beyond the reader's limits.
var ErrLimit = errors.New("file beyond limits")

// Read streams the rows of a .xlsx or .csv file to fn, in order, skipping empty rows.
// The format is recognised from the file's content, not only its name. fn's error stops
// the read and is returned as it is.
func Read(ctx context.Context, path string, opt Options, fn func(Row) error) (Info, error) {
	f, size, kind, err := openAndSniff(path, opt.limits())
	if err != nil {
		return Info{File: path}, err
	}
	defer f.Close()
	switch kind {
	case FormatXLSX:
		return readXLSX(ctx, f, size, path, opt, fn)
	case FormatCSV:
		return readCSV(ctx, f, path, opt, fn)
	}
	return Info{File: path}, &ReadError{File: path, Msg: "this kind of file cannot be read.", Err: ErrUnsupported}
}

// ReadAll reads every non-empty row into memory. Use Read for large files.
func ReadAll(ctx context.Context, path string, opt Options) ([]Row, Info, error) {
	var rows []Row
	info, err := Read(ctx, path, opt, func(r Row) error {
		rows = append(rows, r)
		return nil
	})
	return rows, info, err
}

// ListSheets returns the names of the worksheets of an .xlsx file in workbook order, and
// a single "" for a .csv file.
func ListSheets(path string) ([]string, error) {
	f, size, kind, err := openAndSniff(path, DefaultLimits())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if kind == FormatCSV {
		return []string{""}, nil
	}
	pkg, err := openPackage(f, size, path, DefaultLimits())
	if err != nil {
		return nil, err
	}
	names := make([]string, len(pkg.sheets))
	for i, s := range pkg.sheets {
		names[i] = s.name
	}
	return names, nil
}

type progress struct {
	fn    func(int)
	every int
	n     int
}

func newProgress(opt Options) *progress {
	p := &progress{fn: opt.Progress, every: opt.ProgressEvery}
	if p.every <= 0 {
		p.every = 1000
	}
	return p
}

func (p *progress) row() {
	p.n++
	if p.fn != nil && p.n%p.every == 0 {
		p.fn(p.n)
	}
}

func (p *progress) done() {
	if p.fn != nil {
		p.fn(p.n)
	}
}

// openAndSniff opens path and works out its format from its first bytes, turning away
// formats that look like spreadsheets but cannot be read, each with what to do instead.
func openAndSniff(path string, lim Limits) (*os.File, int64, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		msg := "the file cannot be opened: " + err.Error()
		if errors.Is(err, os.ErrNotExist) {
			return nil, 0, "", &ReadError{File: path, Msg: "the file does not exist. Check the name and folder.", Err: &portal.Error{Code: portal.ENOTFOUND, Message: "The file " + filepath.Base(path) + " does not exist."}}
		}
		return nil, 0, "", &ReadError{File: path, Msg: msg, Err: err}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, "", &ReadError{File: path, Msg: "the file cannot be read: " + err.Error(), Err: err}
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, "", &ReadError{File: path, Msg: "this is a folder, not a spreadsheet file."}
	}
	if st.Size() > lim.MaxFileBytes {
		f.Close()
		return nil, 0, "", &ReadError{File: path, Err: ErrLimit,
			Msg: fmt.Sprintf("the file is %d MB; files up to %d MB can be imported. Split it into smaller files.", st.Size()>>20, lim.MaxFileBytes>>20)}
	}
	head := make([]byte, 8)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	ext := strings.ToLower(filepath.Ext(path))
	kind, err := sniff(f, st.Size(), head, ext, path)
	if err != nil {
		f.Close()
		return nil, 0, "", err
	}
	return f, st.Size(), kind, nil
}

func sniff(f *os.File, size int64, head []byte, ext, path string) (Format, error) {
	unsupported := func(msg string) error {
		return &ReadError{File: path, Msg: msg, Err: ErrUnsupported}
	}
	switch {
	case len(head) >= 4 && string(head[:4]) == "PK\x03\x04", len(head) >= 4 && string(head[:4]) == "PK\x05\x06":
		return FormatXLSX, nil // the package check tells .ods, .xlsb and .numbers apart
	case len(head) >= 8 && string(head) == "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1":
		if cfbHasStream(f, size, "EncryptionInfo") {
			return "", unsupported("the workbook is protected with a password (encrypted). Open it in Excel, remove the password under File > Info > Protect Workbook, save a copy, and import that copy.")
		}
		return "", unsupported("this is an old Excel 97-2003 (.xls) workbook. Open it in Excel or LibreOffice and save it as .xlsx (Excel Workbook) or .csv, then import that file.")
	}
	switch ext {
	case ".xlsx", ".xlsm", ".xltx", ".xltm":
		return "", unsupported("the file is named like an Excel workbook but is not one (it may be damaged, or a renamed file of another kind). Open it in Excel and save it again as .xlsx.")
	case ".xls":
		return "", unsupported("this .xls file is not in a format Gatehouse can read. Open it in Excel or LibreOffice and save it as .xlsx or .csv.")
	case ".ods", ".numbers", ".xlsb", ".pdf", ".docx", ".doc":
		return "", unsupported(fmt.Sprintf("%s files cannot be imported. Save the list as .xlsx (Excel Workbook) or .csv, then import that file.", ext))
	}
	if looksBinary(head) {
		return "", unsupported("this is not a spreadsheet Gatehouse can read. Save the list as .xlsx (Excel Workbook) or .csv, then import that file.")
	}
	return FormatCSV, nil
}

// cfbHasStream looks for a stream name in an OLE compound file's directory entries, where
// names are UTF-16LE; an encrypted .xlsx is such a file with an EncryptionInfo stream.
func cfbHasStream(f *os.File, size int64, name string) bool {
	want := make([]byte, 0, 2*len(name))
	for i := 0; i < len(name); i++ {
		want = append(want, name[i], 0)
	}
	buf := make([]byte, 1<<16)
	for off := int64(0); off < size && off < 64<<20; off += int64(len(buf) - len(want)) {
		n, _ := f.ReadAt(buf, off)
		if n <= 0 {
			break
		}
		if strings.Contains(string(buf[:n]), string(want)) {
			return true
		}
		if n < len(buf) {
			break
		}
	}
	return false
}

func looksBinary(head []byte) bool {
	if len(head) >= 2 && (string(head[:2]) == "\xFF\xFE" || string(head[:2]) == "\xFE\xFF") {
		return false // UTF-16 text with a byte-order mark
	}
	if len(head) >= 4 && string(head[:4]) == "%PDF" {
		return true
	}
	zeros := 0
	for _, c := range head {
		if c == 0 {
			zeros++
		}
	}
	// UTF-16 without a BOM has a zero in every other byte; binaries are denser.
	return zeros > len(head)/2+1
}

// ColumnName returns the spreadsheet letters of a 1-based column number: 1 → A, 27 → AA.
func ColumnName(col int) string {
	if col <= 0 {
		return ""
	}
	var b [8]byte
	i := len(b)
	for col > 0 {
		col--
		i--
		b[i] = byte('A' + col%26)
		col /= 26
	}
	return string(b[i:])
}

package sheets

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// xlsxPackage is the guard's view of an .xlsx before excelize opens it: its parts,
// checked against the limits (a zip bomb is refused on the sizes its directory
// declares), its sheets, and where its parts really are. Parts are found through the
// package relationships, never by their usual names, because writers put them
// elsewhere (wtf_path.xlsx keeps everything under wtf/, where excelize finds no shared
// strings and silently returns empty cells).
type xlsxPackage struct {
	file       string
	lim        Limits
	parts      map[string]*zip.File // by lower-case path without leading slash
	sheets     []sheetRef
	sstPath    string
	stylesPath string
}

type sheetRef struct {
	name   string
	part   string
	hidden bool
	chart  bool
}

func openPackage(r io.ReaderAt, size int64, file string, lim Limits) (*xlsxPackage, error) {
	fail := func(msg string, err error) error { return &ReadError{File: file, Msg: msg, Err: err} }
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fail("the file is not a readable Excel workbook (its zip structure is damaged). Open it in Excel and save it again as .xlsx.", err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fail(fmt.Sprintf("the workbook has %d parts; at most %d are accepted.", len(zr.File), lim.MaxEntries), ErrLimit)
	}
	p := &xlsxPackage{file: file, lim: lim, parts: make(map[string]*zip.File, len(zr.File))}
	// The zip directory is checked before any part is inflated, so a zip bomb is refused
	// on its declared sizes; archive/zip then refuses any part that inflates to more than
	// it declared.
	var total uint64
	for _, zf := range zr.File {
		u := zf.UncompressedSize64
		total += u
		switch {
		case u > uint64(lim.MaxPartBytes):
			return nil, fail(fmt.Sprintf("the part %s unpacks to %d MB, more than the %d MB allowed; the file may be a zip bomb or far too large.", zf.Name, u>>20, lim.MaxPartBytes>>20), ErrLimit)
		case total > uint64(lim.MaxUnzippedBytes):
			return nil, fail(fmt.Sprintf("the workbook unpacks to more than %d MB; the file may be a zip bomb or far too large.", lim.MaxUnzippedBytes>>20), ErrLimit)
		case u > 1<<20 && zf.CompressedSize64 > 0 && u/zf.CompressedSize64 > uint64(lim.MaxRatio):
			return nil, fail(fmt.Sprintf("the part %s is compressed %d:1, far more than spreadsheets are; the file looks like a zip bomb and is refused.", zf.Name, u/zf.CompressedSize64), ErrLimit)
		}
		name := strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(zf.Name, "\\", "/"), "/"))
		p.parts[name] = zf
	}
	switch {
	case p.parts["mimetype"] != nil:
		mt, _ := p.readSmall("mimetype")
		if strings.Contains(string(mt), "opendocument") {
			return nil, fail("this is an OpenDocument spreadsheet (.ods). Open it in LibreOffice or Excel and save it as .xlsx or .csv, then import that file.", ErrUnsupported)
		}
	case p.parts["index.xml"] != nil || p.parts["index/document.iwa"] != nil:
		return nil, fail("this is an Apple Numbers file. Export it from Numbers as Excel (.xlsx) or CSV, then import that file.", ErrUnsupported)
	}
	if err := p.readWorkbook(); err != nil {
		return nil, err
	}
	return p, nil
}

// part returns the zip entry at a package path, tolerating case differences.
func (p *xlsxPackage) part(name string) *zip.File {
	return p.parts[strings.ToLower(strings.TrimPrefix(name, "/"))]
}

func (p *xlsxPackage) readSmall(name string) ([]byte, error) {
	zf := p.part(name)
	if zf == nil {
		return nil, fmt.Errorf("part %s is missing", name)
	}
	if zf.UncompressedSize64 > 64<<20 {
		return nil, fmt.Errorf("part %s is %d MB, too large for a workbook's directory: %w", name, zf.UncompressedSize64>>20, ErrLimit)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

type xmlRels struct {
	Rels []struct {
		ID         string `xml:"Id,attr"`
		Type       string `xml:"Type,attr"`
		Target     string `xml:"Target,attr"`
		TargetMode string `xml:"TargetMode,attr"`
	} `xml:"Relationship"`
}

type xmlWorkbook struct {
	Sheets []struct {
		Name  string `xml:"name,attr"`
		State string `xml:"state,attr"`
		RID   string `xml:"id,attr"`
	} `xml:"sheets>sheet"`
}

func relType(t string) string {
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		return t[i+1:]
	}
	return t
}

// relsOf reads the relationships of a part, resolving their targets to package paths.
func (p *xlsxPackage) relsOf(part string) (map[string][2]string, error) {
	dir, base := path.Split(part)
	data, err := p.readSmall(dir + "_rels/" + base + ".rels")
	if err != nil {
		return nil, err
	}
	var rels xmlRels
	if err := xml.Unmarshal(data, &rels); err != nil {
		return nil, err
	}
	out := make(map[string][2]string, len(rels.Rels))
	for _, r := range rels.Rels {
		if strings.EqualFold(r.TargetMode, "External") {
			continue
		}
		target := strings.ReplaceAll(r.Target, "\\", "/")
		if strings.HasPrefix(target, "/") {
			target = path.Clean(target)[1:]
		} else {
			target = path.Clean(path.Join(dir, target))
		}
		out[r.ID] = [2]string{relType(r.Type), target}
	}
	return out, nil
}

func (p *xlsxPackage) readWorkbook() error {
	fail := func(msg string, err error) error { return &ReadError{File: p.file, Msg: msg, Err: err} }
	wbPath := ""
	if root, err := p.relsOf(""); err == nil {
		for _, r := range root {
			if r[0] == "officeDocument" {
				wbPath = r[1]
			}
		}
	}
	if wbPath == "" && p.part("xl/workbook.xml") != nil {
		wbPath = "xl/workbook.xml"
	}
	if wbPath == "" || p.part(wbPath) == nil {
		if p.part("xl/workbook.bin") != nil {
			return fail("this is a binary Excel workbook (.xlsb). Open it in Excel and save it as .xlsx (Excel Workbook), then import that file.", ErrUnsupported)
		}
		return fail("the file is a zip archive but not an Excel workbook (no workbook part found). Save the list from Excel as .xlsx, then import it.", ErrUnsupported)
	}
	if strings.HasSuffix(strings.ToLower(wbPath), ".bin") {
		return fail("this is a binary Excel workbook (.xlsb). Open it in Excel and save it as .xlsx (Excel Workbook), then import that file.", ErrUnsupported)
	}
	data, err := p.readSmall(wbPath)
	if err != nil {
		return fail("the workbook part cannot be read: "+err.Error()+". Open the file in Excel and save it again.", err)
	}
	var wb xmlWorkbook
	if err := xml.Unmarshal(data, &wb); err != nil {
		return fail("the workbook part is damaged ("+err.Error()+"). Open the file in Excel and save it again.", err)
	}
	rels, err := p.relsOf(wbPath)
	if err != nil {
		rels = map[string][2]string{}
	}
	for i, s := range wb.Sheets {
		ref := sheetRef{name: s.Name, hidden: s.State == "hidden" || s.State == "veryHidden"}
		if r, ok := rels[s.RID]; ok {
			ref.part, ref.chart = r[1], r[0] == "chartsheet"
		} else if guess := fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1); p.part(guess) != nil {
			ref.part = guess
		}
		p.sheets = append(p.sheets, ref)
	}
	if len(p.sheets) == 0 {
		return fail("the workbook has no sheets.", nil)
	}
	for _, r := range rels {
		switch r[0] {
		case "sharedStrings":
			p.sstPath = r[1]
		case "styles":
			p.stylesPath = r[1]
		}
	}
	if p.sstPath == "" && p.part("xl/sharedStrings.xml") != nil {
		p.sstPath = "xl/sharedStrings.xml"
	}
	if zf := p.part(p.sstPath); zf != nil && zf.UncompressedSize64 > uint64(p.lim.MaxSharedStrings) {
		return fail(fmt.Sprintf("the workbook holds more than %d MB of text; split it into smaller files.", p.lim.MaxSharedStrings>>20), ErrLimit)
	}
	return nil
}

// misplaced reports a part the workbook declares but keeps somewhere other than the
// one place excelize reads it from (excelize opens shared strings and styles by their
// usual names only; wtf_path.xlsx keeps them under wtf/). ignoreCase is for the shared
// strings, whose name excelize matches in any case.
func (p *xlsxPackage) misplaced(declared, usual string, ignoreCase bool) bool {
	zf := p.part(declared)
	if zf == nil {
		return false
	}
	name := strings.ReplaceAll(zf.Name, "\\", "/")
	if ignoreCase {
		return !strings.EqualFold(name, usual)
	}
	return name != usual
}

// sheet picks the sheet to read: the named one, or the first worksheet.
func (p *xlsxPackage) sheet(name string) (sheetRef, error) {
	names := make([]string, 0, len(p.sheets))
	for _, s := range p.sheets {
		if name == "" && !s.chart {
			return s, nil
		}
		if s.name == name {
			if s.chart {
				return s, &ReadError{File: p.file, Sheet: name, Msg: "this sheet is a chart and holds no rows. Choose another sheet."}
			}
			return s, nil
		}
		names = append(names, fmt.Sprintf("%q", s.name))
	}
	if name == "" {
		return sheetRef{}, &ReadError{File: p.file, Msg: "the workbook holds only charts, no sheet with rows."}
	}
	return sheetRef{}, &ReadError{File: p.file, Sheet: name, Msg: "there is no sheet with this name. The workbook has " + strings.Join(names, ", ") + "."}
}

// readXLSX streams the chosen sheet's rows. The guard walks the sheet part to learn each
// cell's type and style, which excelize's Rows does not give, and to turn any text
// excelize hands back empty into an error naming the row and column. On a well-formed
// sheet the guard also takes the values itself (the fast read, fast.go), several times
// faster than excelize's Rows; where it is not certain, excelize's Rows reads every
// value from there on, as it always did.
func readXLSX(ctx context.Context, r io.ReaderAt, size int64, file string, opt Options, fn func(Row) error) (Info, error) {
	lim := opt.limits()
	info := Info{File: file, Format: FormatXLSX}
	p, err := openPackage(r, size, file, lim)
	if err != nil {
		return info, err
	}
	for _, s := range p.sheets {
		info.Sheets = append(info.Sheets, s.name)
	}
	ref, err := p.sheet(opt.Sheet)
	if err != nil {
		return info, err
	}
	info.Sheet = ref.name
	fail := func(msg string, err error) error { return &ReadError{File: file, Sheet: ref.name, Msg: msg, Err: err} }
	zf := p.part(ref.part)
	if ref.part == "" || zf == nil {
		return info, fail("the sheet's part ("+ref.part+") is missing from the file, so its rows cannot be read. Open the file in Excel and save it again.", nil)
	}

	// excelize holds the parts it reads in memory and unpacks larger sheets to temporary
	// files. The limits were checked on the zip directory above; excelize checks them
	// again on what it unpacks. It leaves its temporary files behind when opening fails
	// half-way, so they go in a folder of our own that is removed whatever happens.
	tmp, err := os.MkdirTemp("", "gatehouse-xlsx-")
	if err != nil {
		return info, &ReadError{File: file, Msg: "no temporary folder to unpack the workbook into (" + err.Error() + "). Free some disk space or check TMPDIR.", Err: err}
	}
	defer os.RemoveAll(tmp)
	x, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    lim.MaxUnzippedBytes,
		UnzipXMLSizeLimit: min(lim.MaxUnzippedBytes, lim.MaxPartBytes, excelize.StreamChunkSize),
		TmpDir:            tmp,
	})
	if x != nil {
		defer x.Close()
	}
	if err != nil {
		return info, &ReadError{File: file, Msg: "the workbook cannot be read (" + err.Error() + "). Open it in Excel and save it again as .xlsx.", Err: err}
	}
	props, err := x.GetWorkbookProps()
	if err != nil {
		return info, &ReadError{File: file, Msg: "the workbook part is damaged (" + err.Error() + "). Open the file in Excel and save it again.", Err: err}
	}
	info.Date1904 = props.Date1904 != nil && *props.Date1904
	rows, err := x.Rows(ref.name)
	if err != nil {
		switch {
		case errors.Is(err, excelize.ErrSheetNameLength), errors.Is(err, excelize.ErrSheetNameInvalid),
			errors.Is(err, excelize.ErrSheetNameSingleQuote), errors.Is(err, excelize.ErrSheetNameBlank):
			// Other programs allow sheet names that Excel, and so the reader, does not.
			return info, fail("the sheet's name is not one Excel accepts ("+err.Error()+"). Rename the sheet (at most 31 characters, none of : \\ / ? * [ ], not starting or ending with ') and import the file again.", err)
		case errors.As(err, new(excelize.ErrSheetNotExist)):
			return info, fail("this workbook keeps the sheet's part ("+ref.part+") where the reader cannot find it, so its rows cannot be read. Open the file in Excel and save it again as .xlsx.", err)
		}
		return info, fail("the sheet cannot be read ("+err.Error()+"). Open the file in Excel and save it again.", err)
	}
	defer rows.Close()
	xr := &xlsxReader{p: p, x: x, rows: rows, part: zf, sheet: ref.name, date1904: info.Date1904,
		lim: lim, fn: fn, prog: newProgress(opt), ctx: ctx}
	defer xr.closeGuard()
	if err := xr.openGuard(fastRead); err != nil {
		return info, fail("the sheet cannot be read: "+err.Error(), err)
	}
	err = xr.run()
	info.Rows = xr.prog.n
	if err == nil {
		xr.prog.done()
	}
	return info, err
}

// xlsxReader pairs excelize's rows with the guard's.
type xlsxReader struct {
	p        *xlsxPackage
	x        *excelize.File
	rows     *excelize.Rows
	xrow     int // the row excelize's Rows stands on
	part     *zip.File
	sheet    string
	date1904 bool
	guard    *guardAhead
	rc       io.ReadCloser // the sheet part, as the guard reads it
	lim      Limits
	fn       func(Row) error
	prog     *progress
	ctx      context.Context

	kinds    map[int]dateKind // date kind by cell style, from excelize's styles
	sst      *sstIndex        // built only when a shared-string cell comes back empty
	xmlErr   error            // why excelize stopped early, found only when it did
	xmlCheck bool

	// The fast read (fast.go): the guard's own values, until it steps aside.
	fast        bool
	table       *sstTable     // the shared strings, once read
	tableDone   chan struct{} // closed when table is read (nil if it could not be)
	tableBroken bool          // the shared strings are there but the fast read does not take them
	delivered   int           // the last row handed out, so excelize does not repeat it
}

// openGuard starts the guard on the sheet part, fast (taking the values itself) when
// asked and the part allows it.
func (xr *xlsxReader) openGuard(fast bool) error {
	rc, err := xr.part.Open()
	if err != nil {
		return err
	}
	g := newSheetGuard(rc, xr.p.file, xr.sheet, xr.lim)
	if fast {
		if g.allowSkips, g.fast = xmlPrologOK(xr.part); !g.fast {
			fastFallbacks.Add(1)
		}
	}
	xr.rc, xr.fast, xr.guard = rc, g.fast, g.ahead()
	if xr.fast && xr.tableDone == nil {
		// The shared strings are read beside the sheet, on the other core.
		xr.tableDone = make(chan struct{})
		go func() {
			defer close(xr.tableDone)
			// excelize reads the shared strings from their usual place only.
			if zf := xr.p.part("xl/sharedStrings.xml"); zf != nil {
				xr.table, _ = readSST(zf)
				xr.tableBroken = xr.table == nil
			}
		}()
	}
	return nil
}

func (xr *xlsxReader) closeGuard() {
	if xr.guard != nil {
		xr.guard.close()
		xr.rc.Close()
		xr.guard = nil
	}
	if xr.tableDone != nil {
		<-xr.tableDone
	}
}

// fastCells is combine for the fast read: the guard's values as excelize would give
// them. false hands the row, and the rest of the sheet, to excelize, which then also
// says what is wrong with it.
func (xr *xlsxReader) fastCells(m rowMeta) ([]string, bool) {
	if xr.delivered == 0 {
		// excelize reads the whole shared-strings table with the first row it reads,
		// whether the sheet uses it or not, and stops there if it is broken.
		<-xr.tableDone
		if xr.tableBroken {
			return nil, false
		}
	}
	var out []string
	for _, c := range m.cells {
		v := c.val
		switch {
		case c.typ == typeShared && !c.inline:
			<-xr.tableDone
			if xr.table == nil || xr.p.misplaced(xr.p.sstPath, "xl/sharedStrings.xml", true) {
				return nil, false
			}
			s, ok := xr.table.get(c.sst)
			if !ok {
				return nil, false
			}
			if s == "" {
				continue // an empty shared string
			}
			v = s
		case c.inline && c.typ != typeInline, v == "":
			return nil, false
		}
		if len(v) > xr.lim.MaxCellChars && utf8.RuneCountInString(v) > xr.lim.MaxCellChars {
			return nil, false
		}
		text, err := xr.cellText(m.num, c, v)
		if err != nil {
			return nil, false
		}
		if out == nil {
			out = make([]string, 0, m.cells[len(m.cells)-1].col)
		}
		for len(out) < c.col-1 {
			out = append(out, "")
		}
		out = append(out, text)
	}
	return out, true
}

func (xr *xlsxReader) fail(row int, col int, msg string, err error) error {
	return &ReadError{File: xr.p.file, Sheet: xr.sheet, Row: row, Column: ColumnName(col), Msg: msg, Err: err}
}

func (xr *xlsxReader) run() error {
	// The fast read hands a row out only once the next one (or the end) has been read too:
	// excelize takes what stands between a row's end and the next row's start as part of
	// the row, so a stray cell there makes it refuse the row, and the fast read, which
	// would step aside only on reaching it, must not have handed the row out already
	// (found by FuzzFastReadMatchesExcelize).
	var held Row
	holding := false
	for {
		m, ok, err := xr.guard.next()
		var cells []string
		if xr.fast {
			fine := err == nil
			if fine && ok {
				cells, fine = xr.fastCells(m)
			}
			if !fine {
				// From here excelize reads, and the guard walks beside it as before; the
				// row held back is read again by excelize, with what follows it.
				fastFallbacks.Add(1)
				holding = false
				xr.closeGuard()
				if err := xr.openGuard(false); err != nil {
					return xr.fail(m.num, 0, "the sheet cannot be read: "+err.Error(), err)
				}
				continue
			}
			if holding {
				if err := xr.deliver(held.Number, held.Cells); err != nil {
					return err
				}
			}
			if !ok {
				return nil
			}
			held, holding = Row{Number: m.num, Cells: cells}, true
			continue
		} else {
			if err != nil || !ok {
				return err
			}
			if m.num <= xr.delivered {
				continue // handed out by the fast read
			}
			vals, err := xr.values(m)
			if err != nil {
				return err
			}
			if cells, err = xr.combine(m, vals); err != nil {
				return err
			}
		}
		if err := xr.deliver(m.num, cells); err != nil {
			return err
		}
	}
}

// deliver hands a row out, unless it held only empty shared strings.
func (xr *xlsxReader) deliver(num int, cells []string) error {
	xr.delivered = num
	if len(cells) == 0 {
		return nil
	}
	xr.prog.row()
	if xr.prog.n%4096 == 0 && xr.ctx.Err() != nil {
		return xr.ctx.Err()
	}
	return xr.fn(Row{Number: num, Cells: cells})
}

// values moves excelize's Rows to the guard's row and returns excelize's raw values.
// Rows skipped on the way hold nothing, so they are not parsed into columns.
func (xr *xlsxReader) values(m rowMeta) ([]string, error) {
	for xr.xrow < m.num {
		if !xr.rows.Next() {
			if err := xr.rows.Error(); err != nil {
				return nil, xr.fail(m.num, 0, "the reader cannot go on at this row ("+err.Error()+"). Open the file in Excel and save it again.", err)
			}
			// excelize's Rows ends silently at XML it cannot parse.
			msg := "the reader stops before this row although the sheet goes on, so rows from this one on would be lost. Open the file in Excel and save it again."
			if e := xr.xmlProblem(); e != nil {
				msg = fmt.Sprintf("the sheet's XML is malformed at or before this row (%v); rows from this one on cannot be read. Open the file in Excel and save it again.", e)
			}
			return nil, xr.fail(m.num, m.cells[0].col, msg, xr.xmlErr)
		}
		xr.xrow++
	}
	vals, err := xr.rows.Columns()
	if err != nil {
		return nil, xr.fail(m.num, 0, "the row cannot be read ("+err.Error()+"). Open the file in Excel and save it again.", err)
	}
	return vals, nil
}

// combine checks excelize's values against the cells the guard found and turns them
// into the row's text. Every cell that holds something in the file must come back with
// text, unless it is an empty shared string, and excelize must not find text where the
// file holds none (that would mean the two read the XML differently).
func (xr *xlsxReader) combine(m rowMeta, vals []string) ([]string, error) {
	var out []string
	found := 0
	for _, c := range m.cells {
		v := ""
		if c.col <= len(vals) {
			v = vals[c.col-1]
		}
		if v == "" {
			if err := xr.explainEmpty(m.num, c); err != nil {
				return nil, err
			}
			continue
		}
		found++
		if len(v) > xr.lim.MaxCellChars && utf8.RuneCountInString(v) > xr.lim.MaxCellChars {
			return nil, xr.fail(m.num, c.col, fmt.Sprintf("the cell holds more than %d characters, more than a spreadsheet cell may hold; shorten it and import again.", xr.lim.MaxCellChars), ErrLimit)
		}
		text, err := xr.cellText(m.num, c, v)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = make([]string, 0, max(len(vals), c.col))
		}
		for len(out) < c.col-1 {
			out = append(out, "")
		}
		out = append(out, text)
	}
	nonEmpty := 0
	for _, v := range vals {
		if v != "" {
			nonEmpty++
		}
	}
	if nonEmpty > found {
		for i, v := range vals {
			if v != "" && !hasCol(m.cells, i+1) {
				// excelize has run into the next row; the guard says why.
				if _, _, err := xr.guard.next(); err != nil {
					return nil, err
				}
				return nil, xr.fail(m.num, i+1, "the reader finds a value here that the sheet's cells do not hold; the sheet's XML is inconsistent. Open the file in Excel and save it again.", nil)
			}
		}
	}
	return out, nil
}

func hasCol(cells []cellMeta, col int) bool {
	for _, c := range cells {
		if c.col == col {
			return true
		}
	}
	return false
}

// explainEmpty decides whether a cell that holds something in the file may come back
// empty from excelize (an empty shared string), and otherwise says why its text would
// be lost.
func (xr *xlsxReader) explainEmpty(row int, c cellMeta) error {
	fail := func(msg string) error { return xr.fail(row, c.col, msg, nil) }
	if c.typ == typeShared && !c.inline {
		p := xr.p
		switch {
		case p.sstPath == "":
			return fail(fmt.Sprintf("the cell refers to shared string %d but the workbook has no shared strings; its text is missing. Open the file in Excel and save it again.", c.sst))
		case p.part(p.sstPath) == nil:
			return fail(fmt.Sprintf("the cell's text is kept in the shared-strings part %s, which is missing from the file, so it cannot be read. Open the file in Excel and save it again.", p.sstPath))
		case p.misplaced(p.sstPath, "xl/sharedStrings.xml", true):
			return fail(fmt.Sprintf("this workbook keeps its parts where the reader cannot find them (the shared strings are in %s, not xl/sharedStrings.xml), so the text of this cell and others would be lost. Open the file in Excel and save it again as .xlsx.", p.sstPath))
		}
		if xr.sst == nil {
			rc, err := p.part(p.sstPath).Open()
			if err == nil {
				xr.sst, err = scanSST(rc)
				rc.Close()
			}
			if err != nil {
				return xr.fail(row, c.col, "the shared strings are damaged ("+err.Error()+"), so the cell's text cannot be read. Open the file in Excel and save it again.", err)
			}
		}
		if c.sst >= xr.sst.n {
			return fail(fmt.Sprintf("the cell refers to shared string %d but the workbook holds only %d; its text is missing. Open the file in Excel and save it again.", c.sst, xr.sst.n))
		}
		if !xr.sst.hasText(c.sst) {
			return nil
		}
	}
	if e := xr.xmlProblem(); e != nil {
		return xr.fail(row, c.col, fmt.Sprintf("the cell's text cannot be read: the sheet's XML is malformed at or before it (%v). Open the file in Excel and save it again.", e), e)
	}
	if c.inline && c.typ != typeInline {
		return fail("the cell holds inline text without marking it as such, which the reader skips, so its text would be lost. Open the file in Excel and save it again.")
	}
	return fail("the cell holds a value that the reader returns empty, so its text would be lost. Open the file in Excel and save it again.")
}

// xmlProblem finds, once, the XML error that made excelize stop or skip text.
func (xr *xlsxReader) xmlProblem() error {
	if !xr.xmlCheck {
		xr.xmlCheck = true
		if rc, err := xr.part.Open(); err == nil {
			xr.xmlErr = firstXMLError(rc)
			rc.Close()
		}
	}
	return xr.xmlErr
}

// cellText turns excelize's raw value into the text the reader hands out, by the cell's
// type and, for numbers, its number format.
func (xr *xlsxReader) cellText(row int, c cellMeta, v string) (string, error) {
	switch c.typ {
	case typeBool:
		switch strings.TrimSpace(v) {
		case "1", "true", "TRUE":
			return "TRUE", nil
		case "0", "false", "FALSE":
			return "FALSE", nil
		}
	case typeDate:
		t, ok := parseISODateTime(strings.TrimSpace(v))
		if !ok {
			return v, nil
		}
		if t.Year() == 0 {
			return t.Format("15:04:05"), nil
		}
		return formatDateTime(t, dateKindFor(t)), nil
	case typeNumber:
		num, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsInf(num, 0) || math.IsNaN(num) {
			return v, nil // not a number after all: keep the text rather than lose it
		}
		kind, err := xr.dateKind(row, c)
		if err != nil {
			return "", err
		}
		if kind != notDate && num >= 0 && num < 2958466 {
			if t, err := excelize.ExcelDateToTime(num, xr.date1904); err == nil {
				return formatDateTime(t.Round(time.Second), kind), nil
			}
		}
		return formatNumber(num), nil
	}
	return v, nil
}

// dateKind tells from the cell's style, through excelize, whether its number is a date.
func (xr *xlsxReader) dateKind(row int, c cellMeta) (dateKind, error) {
	if k, ok := xr.kinds[c.style]; ok {
		return k, nil
	}
	if c.style != 0 && xr.p.misplaced(xr.p.stylesPath, "xl/styles.xml", false) {
		return notDate, xr.fail(row, c.col, fmt.Sprintf("this workbook keeps its parts where the reader cannot find them (the styles are in %s, not xl/styles.xml), so dates cannot be told from numbers. Open the file in Excel and save it again as .xlsx.", xr.p.stylesPath), nil)
	}
	kind := notDate
	st, err := xr.x.GetStyle(c.style)
	switch {
	case err == nil && st != nil:
		if st.CustomNumFmt != nil {
			kind = classifyNumFmt(*st.CustomNumFmt)
		} else {
			kind = builtinDateKind(st.NumFmt)
		}
	case c.style != 0 && xr.p.part(xr.p.stylesPath) != nil:
		// excelize takes a styles part it cannot parse for none at all.
		return notDate, xr.fail(row, c.col, fmt.Sprintf("the workbook's styles (%s) do not define the style this cell uses; the part may be damaged, so it cannot be told whether the number is a date. Open the file in Excel and save it again.", xr.p.stylesPath), err)
	}
	// Without a styles part a number has no format: it is shown as it is.
	if xr.kinds == nil {
		xr.kinds = map[int]dateKind{}
	}
	xr.kinds[c.style] = kind
	return kind, nil
}

// formatNumber writes a number as Excel shows it in General format, without exponent:
// 15 significant digits, no trailing zeros.
func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	g, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	if err != nil {
		g = f
	}
	return strconv.FormatFloat(g, 'f', -1, 64)
}

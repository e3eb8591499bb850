package sheets

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// xlsxPackage is an opened .xlsx: its parts, checked against the limits, and what the
// workbook says about its sheets, dates and styles. Parts are found through the package
// relationships, never by their usual names, because writers put them elsewhere
// (wtf_path.xlsx keeps everything under wtf/, where excelize finds no shared strings and
// silently returns empty cells).
type xlsxPackage struct {
	file     string
	lim      Limits
	parts    map[string]*zip.File // by lower-case path without leading slash
	sheets   []sheetRef
	date1904 bool
	sstPath  string
	dateFmt  []dateKind // by cell style (xf) index
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
	Pr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name  string `xml:"name,attr"`
		State string `xml:"state,attr"`
		RID   string `xml:"id,attr"`
	} `xml:"sheets>sheet"`
}

type xmlStyles struct {
	NumFmts []struct {
		ID   int    `xml:"numFmtId,attr"`
		Code string `xml:"formatCode,attr"`
	} `xml:"numFmts>numFmt"`
	Xfs []struct {
		NumFmtID int `xml:"numFmtId,attr"`
	} `xml:"cellXfs>xf"`
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
	p.date1904 = wb.Pr.Date1904 == "1" || strings.EqualFold(wb.Pr.Date1904, "true")
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
	var stylesPath string
	for _, r := range rels {
		switch r[0] {
		case "sharedStrings":
			p.sstPath = r[1]
		case "styles":
			stylesPath = r[1]
		}
	}
	if p.sstPath == "" && p.part("xl/sharedStrings.xml") != nil {
		p.sstPath = "xl/sharedStrings.xml"
	}
	if stylesPath == "" && p.part("xl/styles.xml") != nil {
		stylesPath = "xl/styles.xml"
	}
	if stylesPath != "" {
		data, err := p.readSmall(stylesPath)
		if err != nil {
			return fail("the styles part cannot be read ("+err.Error()+"), so dates cannot be told from numbers. Open the file in Excel and save it again.", err)
		}
		var st xmlStyles
		if err := xml.Unmarshal(data, &st); err != nil {
			return fail("the styles part is damaged ("+err.Error()+"), so dates cannot be told from numbers. Open the file in Excel and save it again.", err)
		}
		custom := make(map[int]string, len(st.NumFmts))
		for _, nf := range st.NumFmts {
			custom[nf.ID] = nf.Code
		}
		p.dateFmt = make([]dateKind, len(st.Xfs))
		for i, xf := range st.Xfs {
			if code, ok := custom[xf.NumFmtID]; ok {
				p.dateFmt[i] = classifyNumFmt(code)
			} else {
				p.dateFmt[i] = builtinDateKind(xf.NumFmtID)
			}
		}
	}
	return nil
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

// sst is the shared-strings table, kept as one buffer and end offsets so that a million
// strings cost two allocations.
type sst struct {
	buf  []byte
	ends []int
	// missing names a shared-strings part the workbook refers to but does not hold; it is
	// an error only when a cell needs it.
	missing string
}

func (t *sst) get(i int) (string, bool) {
	if i < 0 || i >= len(t.ends) {
		return "", false
	}
	start := 0
	if i > 0 {
		start = t.ends[i-1]
	}
	return string(t.buf[start:t.ends[i]]), true
}

func (p *xlsxPackage) loadSST(ctx context.Context) (*sst, error) {
	t := &sst{}
	if p.sstPath == "" {
		return t, nil
	}
	zf := p.part(p.sstPath)
	if zf == nil {
		t.missing = p.sstPath
		return t, nil
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, &ReadError{File: p.file, Msg: "the shared strings cannot be read: " + err.Error(), Err: err}
	}
	defer rc.Close()
	sc := newXMLScanner(rc)
	var (
		inSI, inT bool
		rph       int
		raw       []byte
		n         int
	)
	for {
		k, err := sc.next()
		if err != nil {
			return nil, &ReadError{File: p.file, Msg: fmt.Sprintf("the shared strings are damaged after string %d (%v). Open the file in Excel and save it again.", len(t.ends), err), Err: err}
		}
		switch k {
		case tokEOF:
			if inSI {
				return nil, &ReadError{File: p.file, Msg: "the shared strings end in the middle of a string; the file is truncated. Open it in Excel and save it again."}
			}
			return t, nil
		case tokStart:
			switch string(sc.name) {
			case "si":
				inSI, raw = true, raw[:0]
				if sc.self {
					inSI = false
					t.ends = append(t.ends, len(t.buf))
				}
			case "rPh":
				if !sc.self {
					rph++
				}
			case "t":
				inT = inSI && rph == 0 && !sc.self
			}
		case tokText, tokCDATA:
			if inT {
				if k == tokCDATA {
					raw = append(raw, sc.text...)
				} else if raw, err = appendText(raw, sc.text); err != nil {
					return nil, &ReadError{File: p.file, Msg: fmt.Sprintf("shared string %d holds a malformed character reference. Open the file in Excel and save it again.", len(t.ends)), Err: err}
				}
			}
		case tokEnd:
			switch string(sc.name) {
			case "t":
				inT = false
			case "rPh":
				rph--
			case "si":
				if inSI {
					t.buf = append(t.buf, unescapeOOXML(raw)...)
					t.ends = append(t.ends, len(t.buf))
					inSI = false
					if int64(len(t.buf)) > p.lim.MaxSharedStrings {
						return nil, &ReadError{File: p.file, Err: ErrLimit, Msg: fmt.Sprintf("the workbook holds more than %d MB of text; split it into smaller files.", p.lim.MaxSharedStrings>>20)}
					}
					if n++; n%65536 == 0 && ctx.Err() != nil {
						return nil, ctx.Err()
					}
				}
			}
		}
	}
}

// readXLSX streams the chosen sheet's rows.
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
	info.Date1904 = p.date1904
	ref, err := p.sheet(opt.Sheet)
	if err != nil {
		return info, err
	}
	info.Sheet = ref.name
	zf := p.part(ref.part)
	if ref.part == "" || zf == nil {
		return info, &ReadError{File: file, Sheet: ref.name, Msg: "the sheet's part (" + ref.part + ") is missing from the file, so its rows cannot be read. Open the file in Excel and save it again."}
	}
	strs, err := p.loadSST(ctx)
	if err != nil {
		return info, err
	}
	rc, err := zf.Open()
	if err != nil {
		return info, &ReadError{File: file, Sheet: ref.name, Msg: "the sheet cannot be read: " + err.Error(), Err: err}
	}
	defer rc.Close()
	sr := &sheetReader{p: p, sheet: ref.name, strs: strs, sc: newXMLScanner(rc), lim: lim, fn: fn, prog: newProgress(opt), ctx: ctx}
	err = sr.run()
	info.Rows = sr.prog.n
	if err == nil {
		sr.prog.done()
	}
	return info, err
}

type sheetReader struct {
	p     *xlsxPackage
	sheet string
	strs  *sst
	sc    *xmlScanner
	lim   Limits
	fn    func(Row) error
	prog  *progress
	ctx   context.Context

	row, col  int
	rowOpen   bool
	cells     []string
	nonEmpty  bool
	cellType  string
	cellStyle int
	inCell    bool
	capture   int // 0 none, 1 <v>, 2 inline <t>
	inIS      bool
	rph       int
	raw, val  []byte
	inl       []byte
	hasInline bool
}

func (s *sheetReader) fail(col int, msg string, err error) error {
	return &ReadError{File: s.p.file, Sheet: s.sheet, Row: s.row, Column: ColumnName(col), Msg: msg, Err: err}
}

func (s *sheetReader) run() error {
	inData, ended := false, false
	for !ended {
		k, err := s.sc.next()
		if err != nil {
			return s.fail(0, fmt.Sprintf("the sheet's XML is damaged here (%v); rows from this one on cannot be read. Open the file in Excel and save it again.", err), err)
		}
		switch k {
		case tokEOF:
			if !inData {
				return nil // a sheet without sheetData has no rows
			}
			return s.fail(0, "the sheet ends in the middle of its data; the file is truncated. Rows from this one on are missing. Get a complete copy of the file.", io.ErrUnexpectedEOF)
		case tokStart:
			if !inData {
				if string(s.sc.name) == "sheetData" {
					inData = !s.sc.self
				}
				continue
			}
			if err := s.start(); err != nil {
				return err
			}
		case tokText, tokCDATA:
			if s.capture != 0 {
				if k == tokCDATA {
					s.raw = append(s.raw, s.sc.text...)
				} else if s.raw, err = appendText(s.raw, s.sc.text); err != nil {
					return s.fail(s.col, "the cell holds a malformed character reference. Open the file in Excel and save it again.", err)
				}
			}
		case tokEnd:
			if !inData {
				continue
			}
			switch string(s.sc.name) {
			case "sheetData":
				if s.rowOpen || s.inCell {
					return s.fail(s.col, "the sheet's XML is damaged: a row is not closed. Open the file in Excel and save it again.", errXMLSyntax)
				}
				ended = true
			case "row":
				s.rowOpen = false
				if err := s.emit(); err != nil {
					return err
				}
			case "c":
				if err := s.endCell(); err != nil {
					return err
				}
			case "v":
				if s.capture == 1 {
					s.val = append(s.val[:0], s.raw...)
					s.capture = 0
				}
			case "t":
				if s.capture == 2 {
					s.inl = append(s.inl, s.raw...)
					s.capture = 0
				}
			case "is":
				s.inIS = false
			case "rPh":
				s.rph--
			}
		}
	}
	return nil
}

func (s *sheetReader) start() error {
	sc := s.sc
	switch string(sc.name) {
	case "row":
		if s.rowOpen || s.inCell {
			return s.fail(s.col, "the sheet's XML is damaged: a row starts inside another row. Open the file in Excel and save it again.", errXMLSyntax)
		}
		if r, ok := sc.attr("r"); ok {
			n, err := strconv.Atoi(string(r))
			if err != nil || n < 1 {
				return s.fail(0, fmt.Sprintf("a row has the invalid number %q. Open the file in Excel and save it again.", r), err)
			}
			s.row = n
		} else {
			s.row++
		}
		if s.row > s.lim.MaxRows {
			return s.fail(0, fmt.Sprintf("the sheet goes beyond row %d, the most that can be imported. Split the file.", s.lim.MaxRows), ErrLimit)
		}
		s.col, s.cells, s.nonEmpty, s.rowOpen = 0, s.cells[:0], false, !sc.self
		if sc.self {
			return s.emit()
		}
	case "c":
		if s.inCell {
			return s.fail(s.col, "the sheet's XML is damaged: a cell starts inside another cell. Open the file in Excel and save it again.", errXMLSyntax)
		}
		s.inCell, s.cellType, s.cellStyle, s.hasInline = true, "", 0, false
		s.val, s.inl = s.val[:0], s.inl[:0]
		if ref, ok := sc.attr("r"); ok {
			col, row, err := parseCellRef(ref)
			if err != nil {
				return s.fail(s.col+1, fmt.Sprintf("a cell has the invalid reference %q. Open the file in Excel and save it again.", ref), err)
			}
			if row != 0 && row != s.row {
				if s.row == 0 {
					s.row = row
				} else {
					return s.fail(col, fmt.Sprintf("cell %s sits inside row %d; the file is inconsistent. Open it in Excel and save it again.", ref, s.row), nil)
				}
			}
			s.col = col
		} else {
			s.col++
		}
		if s.col > s.lim.MaxColumns {
			return s.fail(0, fmt.Sprintf("the row has a cell in column %d, beyond the %d columns that can be imported.", s.col, s.lim.MaxColumns), ErrLimit)
		}
		if t, ok := sc.attr("t"); ok {
			s.cellType = string(t)
		}
		if st, ok := sc.attr("s"); ok {
			s.cellStyle, _ = strconv.Atoi(string(st))
		}
		if sc.self {
			return s.endCell()
		}
	case "v":
		if s.inCell && !sc.self {
			s.capture, s.raw = 1, s.raw[:0]
		}
	case "is":
		s.inIS = s.inCell && !sc.self
		s.hasInline = true
	case "rPh":
		if !sc.self {
			s.rph++
		}
	case "t":
		if s.inIS && s.rph == 0 && !sc.self {
			s.capture, s.raw = 2, s.raw[:0]
		}
	}
	return nil
}

func (s *sheetReader) endCell() error {
	if !s.inCell {
		return nil
	}
	s.inCell, s.capture, s.inIS = false, 0, false
	if len(s.val) == 0 && len(s.inl) == 0 {
		return nil
	}
	text, err := s.cellText()
	if err != nil {
		return err
	}
	if text == "" {
		return nil
	}
	if n := len(text); n > s.lim.MaxCellChars && countRunes(text) > s.lim.MaxCellChars {
		return s.fail(s.col, fmt.Sprintf("the cell holds more than %d characters, more than a spreadsheet cell may hold; shorten it and import again.", s.lim.MaxCellChars), ErrLimit)
	}
	for len(s.cells) < s.col {
		s.cells = append(s.cells, "")
	}
	s.cells[s.col-1] = text
	s.nonEmpty = true
	return nil
}

func countRunes(s string) int { return len([]rune(s)) }

// cellText turns a cell's stored value into the text the reader hands out.
func (s *sheetReader) cellText() (string, error) {
	v := s.val
	if s.hasInline && (s.cellType == "inlineStr" || s.cellType == "") {
		return string(unescapeOOXML(s.inl)), nil
	}
	switch s.cellType {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(string(v)))
		if err != nil {
			return "", s.fail(s.col, fmt.Sprintf("the cell refers to shared string %q, which is not a number; its text cannot be found.", v), err)
		}
		text, ok := s.strs.get(i)
		if !ok && s.strs.missing != "" {
			return "", s.fail(s.col, fmt.Sprintf("the cell's text is kept in the shared-strings part %s, which is missing from the file, so it cannot be read. Open the file in Excel and save it again.", s.strs.missing), nil)
		}
		if !ok {
			return "", s.fail(s.col, fmt.Sprintf("the cell refers to shared string %d but the workbook holds only %d; its text is missing. Open the file in Excel and save it again.", i, len(s.strs.ends)), nil)
		}
		return text, nil
	case "inlineStr":
		return string(unescapeOOXML(v)), nil
	case "str", "e":
		return string(v), nil
	case "b":
		switch strings.TrimSpace(string(v)) {
		case "1", "true", "TRUE":
			return "TRUE", nil
		case "0", "false", "FALSE":
			return "FALSE", nil
		}
		return string(v), nil
	case "d":
		t, ok := parseISODateTime(strings.TrimSpace(string(v)))
		if !ok {
			return string(v), nil
		}
		if t.Year() == 0 {
			return t.Format("15:04:05"), nil
		}
		return formatDateTime(t, dateKindFor(t)), nil
	}
	num, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64)
	if err != nil || math.IsInf(num, 0) || math.IsNaN(num) {
		return string(v), nil // not a number after all: keep the text rather than lose it
	}
	if s.cellStyle >= 0 && s.cellStyle < len(s.p.dateFmt) {
		if kind := s.p.dateFmt[s.cellStyle]; kind != notDate && num >= 0 && num < 2958466 {
			t, err := excelize.ExcelDateToTime(num, s.p.date1904)
			if err == nil {
				return formatDateTime(t.Round(time.Second), kind), nil
			}
		}
	}
	return formatNumber(num), nil
}

// emit hands a finished row to the caller.
func (s *sheetReader) emit() error {
	if s.inCell {
		if err := s.endCell(); err != nil {
			return err
		}
	}
	if !s.nonEmpty {
		return nil
	}
	row := Row{Number: s.row, Cells: make([]string, len(s.cells))}
	copy(row.Cells, s.cells)
	s.cells, s.nonEmpty = s.cells[:0], false
	s.prog.row()
	if s.prog.n%4096 == 0 && s.ctx.Err() != nil {
		return s.ctx.Err()
	}
	return s.fn(row)
}

// parseCellRef parses "B12" into column 2, row 12. A reference without a row number
// ("B") is accepted, as some writers emit them.
func parseCellRef(ref []byte) (col, row int, err error) {
	i := 0
	for i < len(ref) && (ref[i] >= 'A' && ref[i] <= 'Z' || ref[i] >= 'a' && ref[i] <= 'z') {
		c := int(ref[i]&^0x20) - 'A' + 1
		col = col*26 + c
		if col > 1<<24 {
			return 0, 0, errors.New("column out of range")
		}
		i++
	}
	if i == 0 || i > 3 {
		return 0, 0, errors.New("bad column")
	}
	if i < len(ref) && ref[i] == '$' {
		i++
	}
	if i == len(ref) {
		return col, 0, nil
	}
	row, err = strconv.Atoi(string(ref[i:]))
	if err != nil || row < 1 {
		return 0, 0, errors.New("bad row")
	}
	return col, row, nil
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

package sheets

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"golang.org/x/net/html/charset"
)

// The guard walks the worksheet part beside excelize, without decoding any text. It
// learns what excelize's streaming Rows does not give (each cell's type and style,
// which tell a date from a number) and which cells hold something, so that text
// excelize would drop without a word (shared strings it cannot find, XML it stops
// reading at, a value it overwrites with the next) becomes an error naming the row and
// column instead.

// cellType is a cell's t attribute.
type cellType uint8

const (
	typeNumber  cellType = iota // no t, or t="n"
	typeShared                  // s: an index into the shared strings
	typeInline                  // inlineStr
	typeFormula                 // str: a formula's text result
	typeBool                    // b
	typeError                   // e: #N/A and the like
	typeDate                    // d: ISO 8601
	typeOther                   // anything else, handed on as excelize reads it
)

func parseCellType(t []byte) cellType {
	switch string(t) {
	case "", "n":
		return typeNumber
	case "s":
		return typeShared
	case "inlineStr":
		return typeInline
	case "str":
		return typeFormula
	case "b":
		return typeBool
	case "e":
		return typeError
	case "d":
		return typeDate
	}
	return typeOther
}

// cellMeta describes one cell that holds a value or text in the file.
type cellMeta struct {
	col    int
	typ    cellType
	style  int
	sst    int    // shared-string index, for typeShared
	inline bool   // the text is in <is>, not in <v>
	val    string // the fast read's text of the cell (not for shared strings)
}

// rowMeta is a row with at least one cell that holds something. cells are in column
// order and valid until the guard's next call.
type rowMeta struct {
	num   int
	cells []cellMeta
}

type sheetGuard struct {
	file, sheet string
	lim         Limits
	sc          *xmlScanner

	inData, done    bool
	root            bool // an element has started
	depth           int  // elements open outside sheetData
	row, col        int
	rowOpen, inCell bool
	cur             cellMeta
	vOpen, tOpen    bool
	inIS, hasText   bool
	rph             int
	values          int // <v> and <is> in the cell
	runs            int // <t> in the current <is> or <r>
	v               []byte
	cells           []cellMeta

	// The fast read (fast.go): the guard also takes each cell's text, and is strict.
	fast       bool
	allowSkips int
	stack      tagStack
	t          []byte // the inline text's <t>, decoded
	isDepth    int    // elements open inside <is>
	inRun      bool   // inside an <is>'s <r>
}

func newSheetGuard(r io.Reader, file, sheet string, lim Limits) *sheetGuard {
	return &sheetGuard{file: file, sheet: sheet, lim: lim, sc: newXMLScanner(r)}
}

func (g *sheetGuard) fail(col int, msg string, err error) error {
	return &ReadError{File: g.file, Sheet: g.sheet, Row: g.row, Column: ColumnName(col), Msg: msg, Err: err}
}

// next returns the next row that holds something, or false at the end of the sheet.
func (g *sheetGuard) next() (rowMeta, bool, error) {
	for !g.done {
		k, err := g.sc.next()
		if g.fast && (err != nil || !strictToken(g.sc, k, &g.stack, g.allowSkips)) {
			return rowMeta{}, false, errFallback
		}
		if err != nil {
			return rowMeta{}, false, g.fail(0, fmt.Sprintf("the sheet's XML is damaged here (%v); rows from this one on cannot be read. Open the file in Excel and save it again.", err), err)
		}
		switch k {
		case tokEOF:
			if g.inData {
				return rowMeta{}, false, g.fail(0, "the sheet ends in the middle of its data; the file is truncated. Rows from this one on are missing. Get a complete copy of the file.", io.ErrUnexpectedEOF)
			}
			// A whole sheet without sheetData has no rows; a cut-off one has lost them.
			if !g.root || g.depth != 0 {
				return rowMeta{}, false, g.fail(0, "the sheet's part is empty or ends before its rows; the file is truncated. Get a complete copy of the file.", io.ErrUnexpectedEOF)
			}
			g.done = true
		case tokStart:
			if !g.inData {
				switch {
				case string(g.sc.name) == "sheetData":
					g.inData, g.done = !g.sc.self, g.sc.self
				case !g.sc.self:
					g.depth++
				}
				g.root = true
				continue
			}
			if err := g.start(); err != nil {
				return rowMeta{}, false, err
			}
		case tokText, tokCDATA:
			if g.fast {
				if !g.fastText(k) {
					return rowMeta{}, false, errFallback
				}
				continue
			}
			switch {
			case g.vOpen:
				g.v = append(g.v, g.sc.text...)
			case g.tOpen && len(g.sc.text) > 0:
				g.hasText = true
			}
		case tokEnd:
			if !g.inData {
				g.depth--
				continue
			}
			if g.fast && g.inIS && string(g.sc.name) != "is" {
				if g.isDepth--; g.isDepth == 0 {
					g.inRun = false
				}
			}
			switch string(g.sc.name) {
			case "sheetData":
				if g.rowOpen || g.inCell {
					return rowMeta{}, false, g.fail(g.col, "the sheet's XML is damaged: a row is not closed. Open the file in Excel and save it again.", errXMLSyntax)
				}
				g.done = true
			case "row":
				if g.inCell {
					if err := g.endCell(); err != nil {
						return rowMeta{}, false, err
					}
				}
				g.rowOpen = false
				if len(g.cells) > 0 {
					return rowMeta{num: g.row, cells: g.cells}, true, nil
				}
			case "c":
				if err := g.endCell(); err != nil {
					return rowMeta{}, false, err
				}
			case "v":
				g.vOpen = false
			case "t":
				g.tOpen = false
			case "is":
				g.inIS = false
			case "rPh":
				g.rph--
			}
		}
	}
	return rowMeta{}, false, nil
}

func (g *sheetGuard) start() error {
	sc := g.sc
	if g.fast {
		if g.vOpen || g.tOpen {
			return errFallback // markup inside a value: encoding/xml's business
		}
		if g.inIS {
			// excelize takes the text of <is><t> and <is><r><t> only.
			name := string(sc.name)
			if name == "t" && g.rph == 0 && !(g.isDepth == 0 || g.inRun && g.isDepth == 1) {
				return errFallback
			}
			if name == "r" && g.isDepth == 0 {
				g.inRun = !sc.self
			}
			if !sc.self {
				g.isDepth++
			}
		}
	}
	switch string(sc.name) {
	case "row":
		if g.rowOpen || g.inCell {
			return g.fail(g.col, "the sheet's XML is damaged: a row starts inside another row. Open the file in Excel and save it again.", errXMLSyntax)
		}
		n := g.row + 1
		if r, ok := sc.attr("r"); ok {
			v, err := strconv.Atoi(string(r))
			if err != nil || v < 1 {
				return g.fail(0, fmt.Sprintf("a row has the invalid number %q. Open the file in Excel and save it again.", r), err)
			}
			// excelize numbers rows by counting; rows out of order would be misnumbered.
			if v <= g.row {
				return g.fail(0, fmt.Sprintf("row %d comes after row %d; the rows are out of order. Open the file in Excel and save it again.", v, g.row), nil)
			}
			n = v
		}
		g.row = n
		if g.row > g.lim.MaxRows {
			return g.fail(0, fmt.Sprintf("the sheet goes beyond row %d, the most that can be imported. Split the file.", g.lim.MaxRows), ErrLimit)
		}
		g.col, g.cells, g.rowOpen = 0, g.cells[:0], !sc.self
	case "c":
		if g.inCell {
			return g.fail(g.col, "the sheet's XML is damaged: a cell starts inside another cell. Open the file in Excel and save it again.", errXMLSyntax)
		}
		g.inCell, g.cur, g.v, g.hasText, g.rph, g.values = true, cellMeta{}, g.v[:0], false, 0, 0
		g.t = g.t[:0]
		col := g.col + 1
		if ref, ok := sc.attr("r"); ok {
			c, row, err := parseCellRef(ref)
			if err != nil {
				return g.fail(g.col+1, fmt.Sprintf("a cell has the invalid reference %q. Open the file in Excel and save it again.", ref), err)
			}
			if row == 0 && g.fast {
				// excelize refuses such a reference when it reads the row; it says so.
				return errFallback
			}
			if row != 0 && row != g.row {
				return g.fail(c, fmt.Sprintf("cell %s sits inside row %d; the file is inconsistent. Open it in Excel and save it again.", ref, g.row), nil)
			}
			if c <= g.col {
				return g.fail(c, fmt.Sprintf("cell %s comes after column %s; the cells are out of order. Open the file in Excel and save it again.", ref, ColumnName(g.col)), nil)
			}
			col = c
		}
		g.col = col
		if g.col > g.lim.MaxColumns {
			return g.fail(0, fmt.Sprintf("the row has a cell in column %d, beyond the %d columns that can be imported.", g.col, g.lim.MaxColumns), ErrLimit)
		}
		t, _ := sc.attr("t")
		g.cur.col, g.cur.typ = g.col, parseCellType(t)
		if s, ok := sc.attr("s"); ok {
			g.cur.style, _ = strconv.Atoi(string(s))
		}
		if sc.self {
			return g.endCell()
		}
	case "v", "is":
		if !g.inCell {
			break
		}
		// excelize keeps the last of repeated values or texts and drops the others.
		if g.values++; g.values > 1 {
			return g.fail(g.col, "the cell holds more than one value; the file is damaged. Open it in Excel and save it again.", nil)
		}
		g.vOpen = string(sc.name) == "v" && !sc.self
		g.inIS, g.runs = string(sc.name) == "is" && !sc.self, 0
		g.isDepth, g.inRun = 0, false
	case "r":
		g.runs = 0
	case "rPh":
		if !sc.self {
			g.rph++
		}
	case "t":
		// Phonetic runs (<rPh>) are reading aids, not the cell's text.
		if !g.inIS || g.rph > 0 {
			break
		}
		if g.runs++; g.runs > 1 {
			return g.fail(g.col, "the cell's text is split in a way the reader does not take; the file is damaged. Open it in Excel and save it again.", nil)
		}
		g.tOpen = !sc.self
	}
	return nil
}

func (g *sheetGuard) endCell() error {
	if !g.inCell {
		return nil
	}
	g.inCell, g.vOpen, g.tOpen, g.inIS = false, false, false, false
	if len(g.v) == 0 && !g.hasText {
		return nil
	}
	c := g.cur
	c.inline = len(g.v) == 0
	switch {
	case !g.fast:
	case c.inline:
		c.val = unescapeOOXML(string(g.t))
	case c.typ != typeShared:
		c.val = string(g.v)
	}
	if c.typ == typeShared && len(g.v) > 0 {
		i, err := strconv.Atoi(string(trimXMLSpace(g.v)))
		if err != nil || i < 0 {
			return g.fail(c.col, fmt.Sprintf("the cell refers to shared string %q, which is not a number; its text cannot be found. Open the file in Excel and save it again.", g.v), err)
		}
		c.sst = i
	}
	g.cells = append(g.cells, c)
	return nil
}

// fastText takes text for the fast read: decoded into the value or the inline text,
// and checked wherever it is.
func (g *sheetGuard) fastText(k tokKind) bool {
	var ok bool
	switch {
	case g.vOpen:
		g.v, ok = appendText(g.v, g.sc.text, k == tokCDATA)
	case g.tOpen:
		if len(g.sc.text) > 0 {
			g.hasText = true
		}
		g.t, ok = appendText(g.t, g.sc.text, k == tokCDATA)
	default:
		ok = validText(g.sc.text, k == tokCDATA)
	}
	return ok
}

func trimXMLSpace(b []byte) []byte {
	for len(b) > 0 && isXMLSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isXMLSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// parseCellRef parses "B12" into column 2, row 12. A reference without a row number
// ("B") is let through with row 0: the fast read steps aside from it, and excelize
// then refuses the row with its own words.
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

// sstIndex knows how many shared strings a workbook holds and which of them are empty,
// so that an empty cell from excelize can be told apart from lost text. It is built
// only when excelize returns an empty shared-string cell.
type sstIndex struct {
	n        int
	nonEmpty []uint64 // bit i: shared string i has text
}

func (t *sstIndex) hasText(i int) bool {
	return i < t.n && t.nonEmpty[i/64]&(1<<(i%64)) != 0
}

func scanSST(r io.Reader) (*sstIndex, error) {
	t := &sstIndex{}
	sc := newXMLScanner(r)
	var inSI, inT, text bool
	rph := 0
	for {
		k, err := sc.next()
		if err != nil {
			return nil, fmt.Errorf("after string %d: %w", t.n, err)
		}
		switch k {
		case tokEOF:
			return t, nil
		case tokStart:
			switch string(sc.name) {
			case "si":
				inSI, text = !sc.self, false
				if sc.self {
					t.add(false)
				}
			case "rPh":
				if !sc.self {
					rph++
				}
			case "t":
				inT = inSI && rph == 0 && !sc.self
			}
		case tokText, tokCDATA:
			if inT && len(sc.text) > 0 {
				text = true
			}
		case tokEnd:
			switch string(sc.name) {
			case "t":
				inT = false
			case "rPh":
				rph--
			case "si":
				if inSI {
					t.add(text)
					inSI = false
				}
			}
		}
	}
}

func (t *sstIndex) add(text bool) {
	if t.n%64 == 0 {
		t.nonEmpty = append(t.nonEmpty, 0)
	}
	if text {
		t.nonEmpty[t.n/64] |= 1 << (t.n % 64)
	}
	t.n++
}

// firstXMLError reads a part with encoding/xml, as excelize does, and returns the first
// error it meets: the reason excelize stopped early, which excelize's Rows does not say.
func firstXMLError(r io.Reader) error {
	d := xml.NewDecoder(r)
	d.CharsetReader = charset.NewReaderLabel
	for {
		if _, err := d.Token(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// guardAhead runs the guard in its own goroutine, a few batches of rows ahead of
// excelize, so that where a second core is free its walk costs no wall time.
type guardAhead struct {
	ch   chan guardBatch
	stop chan struct{}
	wg   sync.WaitGroup
	cur  guardBatch
	i    int
}

type guardBatch struct {
	rows []rowMeta
	err  error // after rows
}

const guardBatchRows = 512

func (g *sheetGuard) ahead() *guardAhead {
	a := &guardAhead{ch: make(chan guardBatch, 4), stop: make(chan struct{})}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer close(a.ch)
		for {
			b := guardBatch{rows: make([]rowMeta, 0, guardBatchRows)}
			var cells []cellMeta
			end := false
			for len(b.rows) < guardBatchRows {
				m, ok, err := g.next()
				if err != nil || !ok {
					b.err, end = err, true
					break
				}
				// The guard reuses its cells; the batch keeps copies in one array.
				if cells == nil {
					cells = make([]cellMeta, 0, guardBatchRows*len(m.cells))
				}
				start := len(cells)
				cells = append(cells, m.cells...)
				b.rows = append(b.rows, rowMeta{num: m.num, cells: cells[start:len(cells):len(cells)]})
			}
			select {
			case a.ch <- b:
			case <-a.stop:
				return
			}
			if end {
				return
			}
		}
	}()
	return a
}

// next is sheetGuard.next, from the goroutine's batches.
func (a *guardAhead) next() (rowMeta, bool, error) {
	for a.i >= len(a.cur.rows) {
		if a.cur.err != nil {
			return rowMeta{}, false, a.cur.err
		}
		b, ok := <-a.ch
		if !ok {
			return rowMeta{}, false, nil
		}
		a.cur, a.i = b, 0
	}
	a.i++
	return a.cur.rows[a.i-1], true, nil
}

// close stops the goroutine and waits for it, so that the part it reads can be closed.
func (a *guardAhead) close() {
	close(a.stop)
	a.wg.Wait()
}

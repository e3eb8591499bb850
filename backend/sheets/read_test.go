package sheets

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"gatehouse/backend/portal"
)

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readCells(t *testing.T, path string, opt Options) (map[int][]string, Info) {
	t.Helper()
	rows, info, err := ReadAll(context.Background(), path, opt)
	if err != nil {
		t.Fatalf("read %s: %v", filepath.Base(path), err)
	}
	out := map[int][]string{}
	for _, r := range rows {
		out[r.Number] = r.Cells
	}
	return out, info
}

// TestGeneratedFixtures reads workbooks written by openpyxl and LibreOffice (see
// testdata/make_fixtures.py) and checks every cell that matters.
func TestGeneratedFixtures(t *testing.T) {
	dir := filepath.Join("testdata", "generated")
	t.Run("openpyxl 1904 date system", func(t *testing.T) {
		rows, info := readCells(t, filepath.Join(dir, "openpyxl_1904.xlsx"), Options{})
		if !info.Date1904 || info.Sheet != "Contacts" {
			t.Errorf("info %+v", info)
		}
		if rows[2][6] != "2024-03-31" || rows[3][6] != "2030-12-01 15:30:00" {
			t.Errorf("1904 dates read as %q and %q", rows[2][6], rows[3][6])
		}
	})
	t.Run("openpyxl messy", func(t *testing.T) {
		rows, info := readCells(t, filepath.Join(dir, "openpyxl_messy.xlsx"), Options{})
		if !slices.Equal(info.Sheets, []string{"Export", "Second", "Hidden"}) || info.Sheet != "Export" {
			t.Errorf("sheets %+v", info)
		}
		want := map[int][]string{
			1: {"Contacts export — Suffolk councils"},
			3: {"E-mail address", "Forename", "Surname", "Organisation", "Position", "Membership", "Role until", "Phone", "Portal access", "Share"},
			4: {"renee@acton.gov.uk", "Renée", "O'Brien", "Acton PC", "Clerk until 03/2024", "Yes", "03/04/2024", "441234567890", "TRUE", "0.25"},
			5: {"  Zoë@Barton.gov.uk ", "Zoë", "Smith", "Barton PC", "Chair", "Lapsed", "2023-12-31", "+44 1234 567890", "FALSE", "1"},
			6: {`=HYPERLINK("x")`, "Formula", "Looking", "Carlton PC", "Clerk", "No", "", "-5"},
			7: {"multi\nline", "Line", "Break", "Dunton PC"},
			8: {"", "", "", "Merged organisation cell"},
		}
		if len(rows) != len(want) {
			t.Errorf("read rows %v, want %d rows", rows, len(want))
		}
		for n, w := range want {
			if !slices.Equal(rows[n], w) {
				t.Errorf("row %d = %q, want %q", n, rows[n], w)
			}
		}
		rows, _ = readCells(t, filepath.Join(dir, "openpyxl_messy.xlsx"), Options{Sheet: "Hidden"})
		if rows[1][0] != "secret" {
			t.Errorf("hidden sheet read %v", rows)
		}
		idx := DetectHeader([]Row{{1, want[1]}, {3, want[3]}, {4, want[4]}})
		if idx != 1 {
			t.Errorf("header detected at index %d, want 1 (row 3)", idx)
		}
	})
	t.Run("LibreOffice xlsx", func(t *testing.T) {
		rows, _ := readCells(t, filepath.Join(dir, "libreoffice.xlsx"), Options{})
		if rows[2][0] != "ann@acton.gov.uk" || rows[4][0] != "Jo Kent <jo@hinton.gov.uk>" || rows[3][6] != "2030-12-01" {
			t.Errorf("rows %v", rows)
		}
	})
	for _, tc := range []struct{ file, want string }{
		{"libreoffice.ods", "OpenDocument"},
		{"libreoffice.xls", "Excel 97-2003"},
	} {
		t.Run("refuses "+tc.file, func(t *testing.T) {
			_, _, err := ReadAll(context.Background(), filepath.Join(dir, tc.file), Options{})
			assertReadError(t, err, tc.want)
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("%v is not ErrUnsupported", err)
			}
		})
	}
}

func assertReadError(t *testing.T, err error, want string) *ReadError {
	t.Helper()
	var re *ReadError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *ReadError", err, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(portal.ErrorMessage(err), filepath.Base(re.File)) {
		t.Errorf("portal code %q, message %q", portal.ErrorCode(err), portal.ErrorMessage(err))
	}
	return re
}

const sampleCSV = "Email;Name;Council\nann@acton.gov.uk;Renée O’Brien;Acton PC\n\"bob@b.org\";\"Ray; Bob\";\"Barton\nPC\"\n"

func TestCSVEncodings(t *testing.T) {
	utf16le, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().String(sampleCSV)
	utf16be, _ := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder().String(sampleCSV)
	cp1252, err := charmap.Windows1252.NewEncoder().String(sampleCSV)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, data, enc string
	}{
		{"utf8", sampleCSV, EncUTF8},
		{"utf8 bom", "\xEF\xBB\xBF" + sampleCSV, EncUTF8BOM},
		{"utf16le bom", "\xFF\xFE" + utf16le, EncUTF16LE},
		{"utf16be bom", "\xFE\xFF" + utf16be, EncUTF16BE},
		{"utf16le no bom", utf16le, EncUTF16LE},
		{"windows-1252", cp1252, EncWindows1252},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, info := readCells(t, writeTemp(t, "list.csv", []byte(tc.data)), Options{})
			if info.Encoding != tc.enc || info.Delimiter != ";" {
				t.Errorf("encoding %q delimiter %q, want %q and ;", info.Encoding, info.Delimiter, tc.enc)
			}
			if !slices.Equal(rows[1], []string{"Email", "Name", "Council"}) ||
				!slices.Equal(rows[2], []string{"ann@acton.gov.uk", "Renée O’Brien", "Acton PC"}) ||
				!slices.Equal(rows[3], []string{"bob@b.org", "Ray; Bob", "Barton\nPC"}) {
				t.Errorf("rows %v", rows)
			}
		})
	}
}

func TestCSVDelimiters(t *testing.T) {
	for _, d := range []string{",", ";", "\t", "|"} {
		data := strings.Join([]string{"Email", "First name", "Last name"}, d) + "\n" +
			strings.Join([]string{"a@b.org", "Ann", "Lee, Jr"}, d) + "\n"
		if d == "," {
			data = "Email,First name,Last name\na@b.org,Ann,\"Lee, Jr\"\n"
		}
		rows, info := readCells(t, writeTemp(t, "x.csv", []byte(data)), Options{})
		if info.Delimiter != d || len(rows[2]) != 3 || rows[2][2] != "Lee, Jr" {
			t.Errorf("delimiter %q: detected %q, rows %v", d, info.Delimiter, rows)
		}
	}
	rows, info := readCells(t, writeTemp(t, "sep.csv", []byte("sep=|\na|b,c\n1|2,3\n")), Options{})
	if info.Delimiter != "|" || !slices.Equal(rows[2], []string{"1", "2,3"}) {
		t.Errorf("sep= line: %q %v", info.Delimiter, rows)
	}
}

func TestCSVErrors(t *testing.T) {
	// Valid UTF-8 for longer than the sample, then a Windows-1252 byte.
	long := "Email,Name\n" + strings.Repeat("a@b.org,Ann Lee\n", 5000) + "c@d.org,Ren\xe9e\n"
	_, _, err := ReadAll(context.Background(), writeTemp(t, "mixed.csv", []byte(long)), Options{})
	re := assertReadError(t, err, "not UTF-8")
	if re.Row != 5002 {
		t.Errorf("row %d, want 5002", re.Row)
	}
	_, _, err = ReadAll(context.Background(), writeTemp(t, "quote.csv", []byte("Email,Name\na@b.org,\"Ann\" Lee\n")), Options{})
	re = assertReadError(t, err, "line 2")
	if re.Row != 2 {
		t.Errorf("row %d, want 2", re.Row)
	}
	lim := DefaultLimits()
	lim.MaxCellChars = 10
	_, _, err = ReadAll(context.Background(), writeTemp(t, "long.csv", []byte("Email,Name\na@b.org,\"Ann Lee and so on and on\"\n")), Options{Limits: lim})
	re = assertReadError(t, err, "more than 10 characters")
	if re.Column != "B" {
		t.Errorf("column %q, want B", re.Column)
	}
	_, _, err = ReadAll(context.Background(), filepath.Join(t.TempDir(), "missing.csv"), Options{})
	if portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("missing file: %v", err)
	}
}

// zipOf builds an .xlsx-like zip from parts.
func zipOf(t testing.TB, parts map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(parts))
	for n := range parts {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, parts[n])
	}
	zw.Close()
	return buf.Bytes()
}

const (
	ctRels = `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	wbXML  = `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`
	wbRels = `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
)

func workbook(t testing.TB, sheet, sst string) []byte {
	parts := map[string]string{"_rels/.rels": ctRels, "xl/workbook.xml": wbXML, "xl/_rels/workbook.xml.rels": wbRels,
		"xl/worksheets/sheet1.xml": `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheet + `</sheetData></worksheet>`}
	if sst != "" {
		parts["xl/sharedStrings.xml"] = `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + sst + `</sst>`
	}
	return zipOf(t, parts)
}

func TestXLSXErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		data   []byte
		lim    func(*Limits)
		want   string
		row    int
		column string
	}{
		{"missing shared string", workbook(t, `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>5</v></c></row>`, `<si><t>x</t></si>`),
			nil, "shared string 5", 1, "B"},
		{"shared strings part missing", zipOf(t, map[string]string{"_rels/.rels": ctRels, "xl/workbook.xml": wbXML, "xl/_rels/workbook.xml.rels": wbRels,
			"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`}),
			nil, "missing", 0, ""},
		{"truncated sheet", zipOf(t, map[string]string{"_rels/.rels": ctRels, "xl/workbook.xml": wbXML, "xl/_rels/workbook.xml.rels": wbRels,
			"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2"><v>1`}),
			nil, "truncated", 2, ""},
		{"unclosed row", workbook(t, `<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2"><v>1</v>`, ""),
			nil, "damaged", 2, ""},
		{"broken XML", workbook(t, `<row r="1"><c r="A1" t="inlineStr"><is><t>a &bogus; b</t></is></c></row>`, ""),
			nil, "malformed", 1, "A"},
		{"beyond columns", workbook(t, `<row r="1"><c r="ZZ1"><v>1</v></c></row>`, ""),
			func(l *Limits) { l.MaxColumns = 100 }, "column 702", 1, ""},
		{"beyond rows", workbook(t, `<row r="5"><c r="A5"><v>1</v></c></row>`, ""),
			func(l *Limits) { l.MaxRows = 4 }, "beyond row 4", 5, ""},
		{"cell too long", workbook(t, `<row r="1"><c r="C1" t="inlineStr"><is><t>`+strings.Repeat("x", 40)+`</t></is></c></row>`, ""),
			func(l *Limits) { l.MaxCellChars = 32 }, "more than 32 characters", 1, "C"},
		{"zip bomb", zipOf(t, map[string]string{"_rels/.rels": ctRels, "xl/workbook.xml": wbXML, "xl/worksheets/sheet1.xml": strings.Repeat(" ", 8<<20)}),
			nil, "zip bomb", 0, ""},
		{"part too large", workbook(t, strings.Repeat(`<row/>`, 1000), ""),
			func(l *Limits) { l.MaxPartBytes = 1000 }, "more than", 0, ""},
		{"binary xlsb", zipOf(t, map[string]string{"xl/workbook.bin": "x"}), nil, ".xlsb", 0, ""},
		{"not a workbook", zipOf(t, map[string]string{"readme.txt": "x"}), nil, "not an Excel workbook", 0, ""},
		{"damaged zip", []byte("PK\x03\x04garbage"), nil, "zip structure is damaged", 0, ""},
		{"encrypted", append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), []byte("....E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o\x00")...), nil, "password", 0, ""},
		{"pdf renamed", []byte("%PDF-1.4\x00\x00\x00\x00\x00\x00"), nil, "not a spreadsheet", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lim := DefaultLimits()
			if tc.lim != nil {
				tc.lim(&lim)
			}
			name := "book.xlsx"
			if tc.name == "pdf renamed" {
				name = "book.dat"
			}
			_, _, err := ReadAll(ctx, writeTemp(t, name, tc.data), Options{Limits: lim})
			re := assertReadError(t, err, tc.want)
			if tc.row != 0 && re.Row != tc.row {
				t.Errorf("row %d, want %d", re.Row, tc.row)
			}
			if tc.column != "" && re.Column != tc.column {
				t.Errorf("column %q, want %q", re.Column, tc.column)
			}
		})
	}
}

func TestXLSXValues(t *testing.T) {
	sheet := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>
	<row><c t="b"><v>1</v></c><c t="e"><v>#N/A</v></c><c><v>1.23E+16</v></c><c><v>0.30000000000000004</v></c><c t="str"><f>A1</f><v>x</v></c><c t="d"><v>2024-03-31T00:00:00</v></c></row>
	<x:row r="4" xmlns:x="urn:x"><x:c r="B4" t="inlineStr"><x:is><x:r><x:t>rich </x:t></x:r><x:r><x:t xml:space="preserve">text_x000D_</x:t></x:r><x:rPh><x:t>ignored</x:t></x:rPh></x:is></x:c></x:row>
	<!-- a comment --><row r="6"><c r="A6" t="inlineStr"><is><t><![CDATA[<b>&amp;</b>]]></t></is></c><c r="B6" t="s"><v>2</v></c></row>`
	sst := `<si><t>Email</t></si><si><r><t>Ren</t></r><r><rPr/><t>ée &amp; co</t></r><rPh><t>phonetic</t></rPh></si><si><t/></si>`
	rows, _ := readCells(t, writeTemp(t, "v.xlsx", workbook(t, sheet, sst)), Options{})
	want := map[int][]string{
		1: {"Email", "", "Renée & co"},
		2: {"TRUE", "#N/A", "12300000000000000", "0.3", "x", "2024-03-31"},
		4: {"", "rich text\r"},
		6: {"<b>&amp;</b>"},
	}
	if len(rows) != len(want) {
		t.Errorf("rows %v", rows)
	}
	for n, w := range want {
		if !slices.Equal(rows[n], w) {
			t.Errorf("row %d = %q, want %q", n, rows[n], w)
		}
	}
}

func TestNumberFormats(t *testing.T) {
	for code, want := range map[string]dateKind{
		"dd/mm/yyyy": kindDate, "d mmm yyyy": kindDate, "yyyy-mm-dd hh:mm": kindDateTime, "h:mm AM/PM": kindTime,
		"[h]:mm:ss": kindTime, "mm:ss": kindTime, "mmm-yy": kindDate, `[$-409]d-mmm-yy;@`: kindDate,
		"0.00": notDate, "#,##0": notDate, "General": notDate, "@": notDate, `0.00 "days"`: notDate, "0.00E+00": notDate,
		`[Red]#,##0;[Blue]-#,##0`: notDate, `"Date: "@`: notDate, `0.0e+00`: notDate,
	} {
		if got := classifyNumFmt(code); got != want {
			t.Errorf("classifyNumFmt(%q) = %d, want %d", code, got, want)
		}
	}
	for id, want := range map[int]dateKind{14: kindDate, 22: kindDateTime, 20: kindTime, 0: notDate, 49: notDate, 45: kindTime} {
		if got := builtinDateKind(id); got != want {
			t.Errorf("builtinDateKind(%d) = %d, want %d", id, got, want)
		}
	}
}

func TestProgressAndListSheets(t *testing.T) {
	var buf bytes.Buffer
	rows := make([][]any, 2500)
	for i := range rows {
		rows[i] = []any{"x", i}
	}
	if err := WriteTables(&buf, Table{Name: "One", Columns: []Column{{Header: "A"}, {Header: "B"}}, Rows: rows},
		Table{Name: "Two", Columns: []Column{{Header: "C"}}}); err != nil {
		t.Fatal(err)
	}
	p := writeTemp(t, "p.xlsx", buf.Bytes())
	names, err := ListSheets(p)
	if err != nil || !slices.Equal(names, []string{"One", "Two"}) {
		t.Fatalf("sheets %v %v", names, err)
	}
	var seen []int
	_, err = Read(context.Background(), p, Options{Progress: func(n int) { seen = append(seen, n) }}, func(Row) error { return nil })
	if err != nil || !slices.Equal(seen, []int{1000, 2000, 2501}) {
		t.Fatalf("progress %v %v", seen, err)
	}
	_, err = Read(context.Background(), p, Options{Sheet: "Three"}, func(Row) error { return nil })
	assertReadError(t, err, `"One", "Two"`)
}

// TestXLSXGuard covers what excelize's Rows would lose or misread without saying so:
// each must be an error naming the row and column.
func TestXLSXGuard(t *testing.T) {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	rels := func(extra string) string {
		return `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` + extra + `</Relationships>`
	}
	sheet := func(rows string) string {
		return `<worksheet ` + ns + `><sheetData>` + rows + `</sheetData></worksheet>`
	}
	styles := `<styleSheet ` + ns + `><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>`
	cases := []struct {
		name   string
		parts  map[string]string
		want   string
		row    int
		column string
	}{
		{"shared strings where excelize does not look", map[string]string{
			"xl/_rels/workbook.xml.rels": rels(`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="text/strings.xml"/>`),
			"xl/text/strings.xml":        `<sst ` + ns + `><si><t>ann@acton.gov.uk</t></si></sst>`,
			"xl/worksheets/sheet1.xml":   sheet(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`),
		}, "where the reader cannot find them (the shared strings are in xl/text/strings.xml", 1, "A"},
		{"styles where excelize does not look", map[string]string{
			"xl/_rels/workbook.xml.rels": rels(`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="look/styles.xml"/>`),
			"xl/look/styles.xml":         styles,
			"xl/worksheets/sheet1.xml":   sheet(`<row r="1"><c r="A1" t="inlineStr"><is><t>Role until</t></is></c></row><row r="2"><c r="A2" s="1"><v>45382</v></c></row>`),
		}, "dates cannot be told from numbers", 2, "A"},
		{"XML excelize stops at", map[string]string{
			"xl/_rels/workbook.xml.rels": rels(""),
			"xl/worksheets/sheet1.xml": sheet(`<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></x></c></row>` +
				`<row r="3"><c r="A3" t="inlineStr"><is><t>never read</t></is></c></row>`),
		}, "malformed", 3, "A"},
		{"inline text without its type", map[string]string{
			"xl/_rels/workbook.xml.rels": rels(""),
			"xl/worksheets/sheet1.xml":   sheet(`<row r="1"><c r="A1"><is><t>ann@acton.gov.uk</t></is></c></row>`),
		}, "inline text", 1, "A"},
		{"cells out of order", map[string]string{
			"xl/_rels/workbook.xml.rels": rels(""),
			"xl/worksheets/sheet1.xml":   sheet(`<row r="1"><c r="C1"><v>1</v></c><c r="A1"><v>2</v></c></row>`),
		}, "out of order", 1, "A"},
		{"sheet cut off before its rows", map[string]string{
			"xl/_rels/workbook.xml.rels": rels(""),
			"xl/worksheets/sheet1.xml":   `<worksheet ` + ns + `><sheetPr><outlinePr summaryBelow="1"/></sheetPr><dimension ref="A1:J8"/>`,
		}, "truncated", 0, ""},
		{"two values in one cell", map[string]string{
			"xl/_rels/workbook.xml.rels": rels(""),
			"xl/worksheets/sheet1.xml":   sheet(`<row r="1"><c r="B1" t="inlineStr"><is><t>Yes</t></is><is><t>31/03/2024</t></is></c></row>`),
		}, "more than one value", 1, "B"},
		{"styles part damaged", map[string]string{
			"xl/_rels/workbook.xml.rels": rels(`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`),
			"xl/styles.xml":              "",
			"xl/worksheets/sheet1.xml":   sheet(`<row r="2"><c r="G2" s="1"><v>45382</v></c></row>`),
		}, "do not define the style", 2, "G"},
		{"rows out of order", map[string]string{
			"xl/_rels/workbook.xml.rels": rels(""),
			"xl/worksheets/sheet1.xml":   sheet(`<row r="3"><c r="A3"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>`),
		}, "row 2 comes after row 3", 3, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.parts["_rels/.rels"], tc.parts["xl/workbook.xml"] = ctRels, wbXML
			_, _, err := ReadAll(context.Background(), writeTemp(t, "guard.xlsx", zipOf(t, tc.parts)), Options{})
			re := assertReadError(t, err, tc.want)
			if re.Row != tc.row || re.Column != tc.column {
				t.Errorf("row %d column %q, want row %d column %q", re.Row, re.Column, tc.row, tc.column)
			}
		})
	}
	t.Run("the same styles where excelize looks give a date", func(t *testing.T) {
		parts := map[string]string{"_rels/.rels": ctRels, "xl/workbook.xml": wbXML,
			"xl/_rels/workbook.xml.rels": rels(`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`),
			"xl/styles.xml":              styles,
			"xl/worksheets/sheet1.xml":   sheet(`<row r="2"><c r="A2" s="1"><v>45382</v></c><c r="B2"><v>45382</v></c></row>`)}
		rows, _ := readCells(t, writeTemp(t, "dated.xlsx", zipOf(t, parts)), Options{})
		if !slices.Equal(rows[2], []string{"2024-03-31", "45382"}) {
			t.Errorf("row 2 = %q", rows[2])
		}
	})
	t.Run("sheet name Excel does not accept", func(t *testing.T) {
		long := strings.Repeat("Parish councils ", 3)
		parts := map[string]string{"_rels/.rels": ctRels, "xl/_rels/workbook.xml.rels": rels(""),
			"xl/workbook.xml":          strings.Replace(wbXML, `name="S"`, `name="`+long+`"`, 1),
			"xl/worksheets/sheet1.xml": sheet(`<row r="1"><c r="A1"><v>1</v></c></row>`)}
		_, _, err := ReadAll(context.Background(), writeTemp(t, "long.xlsx", zipOf(t, parts)), Options{})
		assertReadError(t, err, "Rename the sheet")
	})
	t.Run("wtf_path.xlsx", func(t *testing.T) {
		path := filepath.Join(sharedDir(t), "fixtures", "xlsx-foreign", "wtf_path.xlsx")
		_, _, err := ReadAll(context.Background(), path, Options{})
		re := assertReadError(t, err, "where the reader cannot find them")
		if re.Row == 0 || re.Column == "" {
			t.Errorf("error does not name the cell: %+v", re)
		}
	})
}

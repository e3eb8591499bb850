package sheets

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readBoth reads a file with the fast read and with excelize alone.
func readBoth(t testing.TB, path string, opt Options) (fast, slow []Row, fastErr, slowErr error, fellBack bool) {
	t.Helper()
	before := fastFallbacks.Load()
	fast, _, fastErr = ReadAll(context.Background(), path, opt)
	fellBack = fastFallbacks.Load() != before
	fastRead = false
	defer func() { fastRead = true }()
	slow, _, slowErr = ReadAll(context.Background(), path, opt)
	return
}

// sameRead fails unless the two reads handed out the same rows and ended the same way.
func sameRead(t testing.TB, name string, fast, slow []Row, fastErr, slowErr error) {
	t.Helper()
	if (fastErr == nil) != (slowErr == nil) || fastErr != nil && fastErr.Error() != slowErr.Error() {
		t.Fatalf("%s: the fast read ends with %v, excelize with %v", name, fastErr, slowErr)
	}
	if len(fast) != len(slow) {
		t.Fatalf("%s: the fast read hands out %d rows, excelize %d", name, len(fast), len(slow))
	}
	for i := range fast {
		if !reflect.DeepEqual(fast[i], slow[i]) {
			t.Fatalf("%s: row %d: the fast read gives %q (row %d), excelize %q (row %d)", name, i, fast[i].Cells, fast[i].Number, slow[i].Cells, slow[i].Number)
		}
	}
}

// fastCases are sheets and shared strings where the fast read must either read exactly
// what excelize reads or step aside: text escapes of every kind, markup it does not
// take, and broken XML.
func fastCases(t testing.TB) map[string][]byte {
	cases := map[string][]byte{}
	for name, c := range fastSheets() {
		cases[name] = workbook(t, c[0], c[1])
	}
	for name, parts := range fastCasesParts() {
		parts["_rels/.rels"], parts["xl/workbook.xml"], parts["xl/_rels/workbook.xml.rels"] = ctRels, wbXML, wbRels
		cases[name] = zipOf(t, parts)
	}
	return cases
}

// fastSheets are sheet rows and shared strings, for workbook.
func fastSheets() map[string][2]string {
	wb := func(sheet, sst string) [2]string { return [2]string{sheet, sst} }
	inline := func(text string) string {
		return `<row r="1"><c r="A1" t="inlineStr"><is><t>` + text + `</t></is></c><c r="B1"><v>2</v></c></row><row r="2"><c r="A2"><v>3</v></c></row>`
	}
	shared := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="3"><c r="C3" t="s"><v> 2 </v></c></row>`
	cases := map[string][2]string{
		"entities":       wb(inline(`a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233; &#x1F600;`), ""),
		"line ends":      wb(inline("one\r\ntwo\rthree\nfour"), ""),
		"escapes":        wb(inline(`tab_x0009_ under_x005F_x000D_ lone_xD800_ end`), ""),
		"cdata":          wb(inline(`<![CDATA[<b>&amp;</b>]]>`), ""),
		"unknown entity": wb(inline(`a &nbsp; b`), ""),
		// A repeated attribute: encoding/xml, and so excelize, keeps the last (found by
		// FuzzFastReadMatchesExcelize, where the fast read had taken the first).
		"repeated attribute":     wb(`<row r="1"><c r="A1" r="B1" t="s" t="n"><v>7</v></c></row><row r="2" r="3"><c r="A3"><v>1</v></c></row>`, ""),
		"repeated bad reference": wb(`<row><c r="A1" r="1"><v>0</v></c></row>`, ""),
		"bad char reference":     wb(inline(`a &#1; b`), ""),
		"control character":      wb(inline("a\x01b"), ""),
		"invalid utf-8":          wb(inline("a\xffb"), ""),
		"markup in text":         wb(inline(`a<b>bold</b>c`), ""),
		"comment in rows":        wb(`<!-- note -->`+inline("x"), ""),
		"mismatched end":         wb(`<row r="1"><c r="A1"><v>1</v></x></row><row r="2"><c r="A2"><v>2</v></c></row>`, ""),
		"unquoted attribute":     wb(`<row r=1><c r="A1"><v>1</v></c></row>`, ""),
		"attribute entity":       wb(`<row r="&#49;"><c r="A1"><v>1</v></c></row>`, ""),
		"deep inline text":       wb(`<row r="1"><c r="A1" t="inlineStr"><is><x><t>hidden</t></x></is></c></row>`, ""),
		"rich inline":            wb(`<row r="1"><c r="A1" t="inlineStr"><is><r><rPr/><t xml:space="preserve"> rich </t></r><rPh><t>no</t></rPh></is></c></row>`, ""),
		"inline without type":    wb(`<row r="1"><c r="A1"><is><t>x</t></is></c></row>`, ""),
		"shared":                 wb(shared, `<si><t>Email</t></si><si><r><t>Ren</t></r><r><rPr/><t>ée &amp; co</t></r><rPh><t>phonetic</t></rPh></si><si><t>_x0041_</t></si>`),
		"shared empty":           wb(shared, `<si><t/></si><si></si><si><t>x</t></si>`),
		"shared lost escape":     wb(shared, `<si><t>_xD800_</t></si><si><t>b</t></si><si><t>c</t></si>`),
		"shared two texts":       wb(shared, `<si><t>a</t><t>b</t></si><si><t>b</t></si><si><t>c</t></si>`),
		"shared deep text":       wb(shared, `<si><x><t>a</t></x></si><si><t>b</t></si><si><t>c</t></si>`),
		"shared out of range":    wb(shared, `<si><t>a</t></si>`),
		"shared broken":          wb(shared, `<si><t>a</si>`),
		"shared comment":         wb(shared, `<!-- c --><si><t>a</t></si><si><t>b</t></si><si><t>c</t></si>`),
		"shared entity":          wb(shared, `<si><t>a &bogus; b</t></si><si><t>b</t></si><si><t>c</t></si>`),
		"shared cr":              wb(shared, "<si><t>a\r\nb</t></si><si><t>&#13;</t></si><si><t>c</t></si>"),
		"types":                  wb(`<row r="1"><c t="b"><v>1</v></c><c t="e"><v>#N/A</v></c><c><v>1.23E+16</v></c><c t="str"><f>A1</f><v>x</v></c><c t="d"><v>2024-03-31T00:00:00</v></c><c t="inlineStr"><v>iv</v></c><c t="n"><v> 7 </v></c></row>`, ""),
		"value with markup":      wb(`<row r="1"><c r="A1"><v>1<x/>2</v></c></row>`, ""),
		"namespaced":             wb(`<x:row r="4" xmlns:x="urn:x"><x:c r="B4" t="inlineStr"><x:is><x:t>ns</x:t></x:is></x:c></x:row>`, ""),
		"empty value":            wb(`<row r="1"><c r="A1"><v></v></c><c r="B1"><v>1</v></c></row>`, ""),
		"two values":             wb(`<row r="1"><c r="A1"><v>1</v><v>2</v></c></row>`, ""),
		// A reference without a row: excelize refuses the row (found by the fuzzer, where
		// the fast read had taken it as the column alone).
		"reference without row": wb(`<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="B"><v>2</v></c><c r="C$"><v>3</v></c></row>`, ""),
		// A cell between a row's end and the next row: excelize takes it into the row and
		// refuses the row, so the fast read must not have handed that row out (found by the
		// fuzzer, where it had).
		"stray cell after a row": wb(`<row r="1"><c r="A1"><v>1</v></c></row><c r=""><v>3</v></c><row r="2"><c r="A2"><v>2</v></c></row>`, ""),
		"cells without columns":  wb(`<row><c><v>1</v></c><c t="inlineStr"><is><t>b</t></is></c></row><row><c r="C2"><v>2</v></c></row>`, ""),
	}
	return cases
}

func fastCasesParts() map[string]map[string]string {
	inline := func(text string) string {
		return `<row r="1"><c r="A1" t="inlineStr"><is><t>` + text + `</t></is></c></row>`
	}
	return map[string]map[string]string{
		"latin-1 declaration": {"xl/worksheets/sheet1.xml": `<?xml version="1.0" encoding="ISO-8859-1"?><worksheet><sheetData>` + inline("Ren\xe9e") + `</sheetData></worksheet>`},
		"byte-order mark":     {"xl/worksheets/sheet1.xml": "\xEF\xBB\xBF<worksheet><sheetData>" + inline("x") + `</sheetData></worksheet>`},
		"xml 1.1":             {"xl/worksheets/sheet1.xml": `<?xml version="1.1"?><worksheet><sheetData>` + inline("x") + `</sheetData></worksheet>`},
		"doctype":             {"xl/worksheets/sheet1.xml": `<?xml version="1.0"?><!DOCTYPE w [<!ENTITY e "boom">]><worksheet><sheetData>` + inline("&e;") + `</sheetData></worksheet>`},
		"declared utf-8":      {"xl/worksheets/sheet1.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<worksheet><sheetData>` + inline("x") + `</sheetData></worksheet>`},
	}
}

// TestFastReadMatchesExcelize reads every workbook the tests know twice, fast and with
// excelize alone: the same rows, the same error. Files written by Excel's usual writers
// are read fast to the end; the odd ones step aside.
func TestFastReadMatchesExcelize(t *testing.T) {
	files := map[string]string{}
	for name, data := range fastCases(t) {
		files[name] = writeTemp(t, strings.ReplaceAll(name, " ", "-")+".xlsx", data)
	}
	gen, _ := filepath.Glob(filepath.Join("testdata", "generated", "*.xlsx"))
	for _, p := range gen {
		files[filepath.Base(p)] = p
	}
	if dir := filepath.Join(sharedDir(t), "fixtures", "xlsx-foreign"); dir != "" {
		foreign, _ := filepath.Glob(filepath.Join(dir, "*.xlsx"))
		for _, p := range foreign {
			files["foreign/"+filepath.Base(p)] = p
		}
	}
	fellBack := map[string]bool{}
	for name, p := range files {
		fast, slow, fastErr, slowErr, fb := readBoth(t, p, Options{})
		sameRead(t, name, fast, slow, fastErr, slowErr)
		fellBack[name] = fb
	}
	for _, name := range []string{"entities", "line ends", "escapes", "cdata", "shared", "shared empty", "types", "namespaced",
		"rich inline", "declared utf-8", "cells without columns", "openpyxl_messy.xlsx", "libreoffice.xlsx", "openpyxl_1904.xlsx"} {
		if fellBack[name] {
			t.Errorf("%s: the fast read stepped aside from a sheet it should read", name)
		}
	}
	for _, name := range []string{"unknown entity", "comment in rows", "mismatched end", "latin-1 declaration", "doctype", "shared two texts", "shared lost escape", "reference without row"} {
		if !fellBack[name] {
			t.Errorf("%s: the fast read did not step aside", name)
		}
	}
	n := 0
	for name, fb := range fellBack {
		if strings.HasPrefix(name, "foreign/") && !fb {
			n++
		}
	}
	t.Logf("foreign workbooks read fast to the end: %d of %d", n, len(files)-len(fastCases(t))-len(gen))
}

// FuzzFastReadMatchesExcelize: whatever the file, the fast read hands out exactly what
// excelize with the guard hands out, and ends the same way.
func FuzzFastReadMatchesExcelize(f *testing.F) {
	for _, c := range fastSheets() {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, sheet, sst string) {
		p := filepath.Join(t.TempDir(), "f.xlsx")
		if err := os.WriteFile(p, workbook(t, sheet, sst), 0o600); err != nil {
			t.Fatal(err)
		}
		fast, slow, fastErr, slowErr, _ := readBoth(t, p, Options{Limits: fuzzLimits()})
		sameRead(t, "input", fast, slow, fastErr, slowErr)
	})
}

package sheets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// checkFuzzResult holds for any input: reading ends with rows or with a *ReadError, the
// rows are numbered upwards from 1, and every cell is valid UTF-8.
func checkFuzzResult(t *testing.T, rows []Row, err error) {
	if err != nil {
		var re *ReadError
		if !errors.As(err, &re) {
			t.Fatalf("error is not a *ReadError: %T %v", err, err)
		}
		return
	}
	for _, r := range rows {
		if r.Number < 1 {
			t.Fatalf("row number %d", r.Number)
		}
		empty := true
		for _, c := range r.Cells {
			if !utf8.ValidString(c) {
				t.Fatalf("row %d holds invalid UTF-8 %q", r.Number, c)
			}
			if c != "" {
				empty = false
			}
		}
		if empty {
			t.Fatalf("row %d is empty but was handed out", r.Number)
		}
	}
}

func fuzzLimits() Limits {
	l := DefaultLimits()
	l.MaxFileBytes, l.MaxUnzippedBytes, l.MaxPartBytes, l.MaxSharedStrings = 4<<20, 16<<20, 8<<20, 4<<20
	return l
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{sampleCSV, "a,b\n1,2\n", "sep=;\na;b\n", "\xEF\xBB\xBFx\ty\n", "\xFF\xFEa\x00,\x00b\x00\n\x00",
		"\"unterminated,\n", "a|b|c\n\"q\"\"x\"|2|3\n", "Ren\xe9e;x\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		rows, _, err := ReadAll(context.Background(), p, Options{Limits: fuzzLimits()})
		checkFuzzResult(t, rows, err)
	})
}

func FuzzReadXLSX(f *testing.F) {
	for _, name := range []string{"openpyxl_1904.xlsx", "openpyxl_messy.xlsx", "libreoffice.xlsx"} {
		data, err := os.ReadFile(filepath.Join("testdata", "generated", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(workbook(f, `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>x</t></is></c></row>`, `<si><t>a</t></si>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.xlsx")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		rows, _, err := ReadAll(context.Background(), p, Options{Limits: fuzzLimits()})
		checkFuzzResult(t, rows, err)
	})
}

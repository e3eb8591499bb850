// Command councilfixture writes the council journey's two contact lists into
// frontend/e2e/fixtures/journey: councils.xlsx, written by excelize as a council's CRM
// export would be, and councils-1252.csv, semicolon-separated in Windows-1252 as Excel
// saves a CSV on a European Windows. Run it from the repository root after changing the
// rows; the files are committed.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

var header = []any{"Title", "First name", "Surname", "Email", "Council", "Council type", "Position", "Member"}

// The rows, as the sheet numbers them from 2. Row 6 has no address (excluded in the
// journey), row 7 an address written with a display name (fixed), row 9 repeats row 2
// (merged). Councils A–B are rows 2–6.
var rows = [][]any{
	{"Mr", "Adam", "Baker", "clerk@abbotsley-pc.gov.uk", "Abbotsley PC", "Parish", "Clerk", "Yes"},
	{"Ms", "Beth", "Carter", "beth.carter@ashby-tc.gov.uk", "Ashby TC", "Town", "Clerk", "Yes"},
	{"Mrs", "Cara", "Dent", "cara@barton-pc.gov.uk", "Barton PC", "Parish", "Chair", "Yes"},
	{"Mr", "Dan", "Evans", "dan.evans@bourne-tc.gov.uk", "Bourne TC", "Town", "Clerk", "Yes"},
	{"Ms", "Ella", "Fox", "", "Brampton PC", "Parish", "Clerk", "Yes"},
	{"Mr", "Finn", "Gray", "Finn Gray <finn@caxton-pc.gov.uk>", "Caxton PC", "Parish", "Clerk", "Yes"},
	{"Ms", "Gail", "Hunt", "gail@dunton-pc.gov.uk", "Dunton PC", "Parish", "Clerk", "Yes"},
	{"Mr", "Adam", "Baker", "clerk@abbotsley-pc.gov.uk", "Abbotsley PC", "Parish", "Clerk", "Yes"},
	{"Mr", "Hugh", "Irwin", "hugh@eaton-tc.gov.uk", "Eaton TC", "Town", "Clerk", "Yes"},
}

// Rows 2 and 4 look like one person (Zoë and Zoe Ménard at one council) but are two: the
// journey marks them as different people.
const csv1252 = "Title;First name;Surname;Email;Council;Council type\r\n" +
	"Ms;Zoë;Ménard;zoe@ostermoor-pc.gov.uk;Östermoor PC;Parish\r\n" +
	"Mr;Jürgen;Müller;jurgen@fennel-pc.gov.uk;Fennel PC;Parish\r\n" +
	"Mrs;Zoe;Menard;z.menard@ostermoor-pc.gov.uk;Östermoor PC;Parish\r\n"

func main() {
	if err := run(filepath.Join("frontend", "e2e", "fixtures", "journey")); err != nil {
		fmt.Fprintln(os.Stderr, "councilfixture:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Councils"); err != nil {
		return err
	}
	if err := f.SetSheetRow("Councils", "A1", &header); err != nil {
		return err
	}
	for i, r := range rows {
		if err := f.SetSheetRow("Councils", fmt.Sprintf("A%d", i+2), &r); err != nil {
			return err
		}
	}
	if err := f.SaveAs(filepath.Join(dir, "councils.xlsx")); err != nil {
		return err
	}
	var b bytes.Buffer
	w := charmap.Windows1252.NewEncoder().Writer(&b)
	if _, err := w.Write([]byte(csv1252)); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "councils-1252.csv"), b.Bytes(), 0o644)
}

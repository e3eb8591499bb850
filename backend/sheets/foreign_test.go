package sheets

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gatehouse/backend/portal"

	"github.com/xuri/excelize/v2"
)

// sharedDir finds the project's shared/ folder, which sits beside the repository.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("GATEHOUSE_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "fixtures", "xlsx-foreign")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared fixtures not found at %s (set GATEHOUSE_SHARED): %v", dir, err)
		}
		t.Skipf("shared fixtures not found at %s: %v", dir, err)
	}
	return dir
}

type reference struct {
	file, sheet string
	cells       int
}

var refLine = regexp.MustCompile(`^(\S+)\s+\|\s+(.*?):(\d+)r/(\d+)nonempty`)

func loadReferences(t *testing.T, dir string) []reference {
	f, err := os.Open(filepath.Join(dir, "reference-counts.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var refs []reference
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := refLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[4])
		refs = append(refs, reference{file: m[1], sheet: m[2], cells: n})
	}
	return refs
}

// TestForeignWorkbooks reads the first sheet of each workbook written by another program
// and compares the non-empty cells with what SheetJS found: the same count, or a clear
// error, never fewer cells without one.
func TestForeignWorkbooks(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "fixtures", "xlsx-foreign")
	refs := loadReferences(t, dir)
	if len(refs) != 43 {
		t.Fatalf("reference-counts.txt lists %d files, want 43", len(refs))
	}
	for _, ref := range refs {
		t.Run(ref.file, func(t *testing.T) {
			t.Parallel() // each file is read on its own; they took 15 s one after another under -race
			rows, info, err := ReadAll(context.Background(), filepath.Join(dir, ref.file), Options{})
			if err != nil {
				var re *ReadError
				if !errors.As(err, &re) || portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(err.Error(), ref.file) {
					t.Fatalf("error is not a clear ReadError naming the file: %v", err)
				}
				t.Logf("OUTCOME %-45s refused: %v", ref.file, err)
				return
			}
			// SheetJS's count leaves out formula error values (#VALUE!), which are read
			// here as their text so the administrator sees them.
			cells, errorCells := 0, 0
			ours := map[[2]int]string{}
			for _, r := range rows {
				for i, c := range r.Cells {
					if c != "" {
						cells++
						ours[[2]int{r.Number, i + 1}] = c
						if excelErrors[c] {
							errorCells++
						}
					}
				}
			}
			cells -= errorCells
			crossCheckExcelize(t, filepath.Join(dir, ref.file), info.Sheet, ours)
			if info.Sheet != ref.sheet {
				t.Errorf("read sheet %q, reference read %q", info.Sheet, ref.sheet)
			}
			if cells != ref.cells {
				t.Errorf("read %d non-empty cells, reference %d", cells, ref.cells)
			}
			t.Logf("OUTCOME %-45s read %d rows, %d cells (+%d error values; reference %d)", ref.file, len(rows), cells, errorCells, ref.cells)
		})
	}
}

var excelErrors = map[string]bool{"#NULL!": true, "#DIV/0!": true, "#VALUE!": true, "#REF!": true, "#NAME?": true, "#NUM!": true, "#N/A": true, "#GETTING_DATA": true, "#SPILL!": true, "#CALC!": true}

// crossCheckExcelize reads the same sheet with excelize and checks that every cell it
// finds text in is also read here: a second, independent reader.
func crossCheckExcelize(t *testing.T, path, sheet string, ours map[[2]int]string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Logf("excelize cannot open it: %v", err)
		return
	}
	defer f.Close()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Logf("excelize cannot read it: %v", err)
		return
	}
	missing := 0
	for r, row := range rows {
		for c, v := range row {
			if v == "" {
				continue
			}
			if _, ok := ours[[2]int{r + 1, c + 1}]; !ok {
				missing++
				if missing <= 3 {
					t.Errorf("excelize reads %q at %s%d, not read here", v, ColumnName(c+1), r+1)
				}
			}
		}
	}
}

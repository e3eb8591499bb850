package imports

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
	"gatehouse/backend/sheets"
)

var (
	benchFirst = []string{"John", "Mary", "William", "Elizabeth", "James", "Margaret", "Robert", "Susan", "David", "Anne", "Peter", "Renée", "Zoë", "Siân", "Ahmed", "Priya", "Bill", "Liz", "Bob", "Sue"}
	benchLast  = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "O'Brien", "Ó Súilleabháin"}
)

// writeContacts writes an n-row, 12-column contact list like a council association's
// CRM export, with a few percent of every problem the checks look for.
func writeContacts(path string, n int) error {
	rng := rand.New(rand.NewPCG(7, 11))
	cols := []sheets.Column{{Header: "Email"}, {Header: "First name"}, {Header: "Last name"}, {Header: "Organisation"}, {Header: "Role"},
		{Header: "Membership"}, {Header: "Clerk until"}, {Header: "Phone"}, {Header: "Type"}, {Header: "Portal access"}, {Header: "Town"}, {Header: "Notes"}}
	var prev []any
	tbl := sheets.Table{Name: "Contacts", Columns: cols, Each: func(yield func([]any) error) error {
		for i := 0; i < n; i++ {
			org := fmt.Sprintf("%s Parish Council %d", benchLast[i%len(benchLast)], i%3000)
			first, last := benchFirst[rng.IntN(len(benchFirst))], benchLast[rng.IntN(len(benchLast))]
			row := []any{fmt.Sprintf("%s.%s%d@council%d.gov.uk", first, last, i, i%3000), first, last, org, "Clerk", "Yes",
				time.Date(2025+rng.IntN(3), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC),
				fmt.Sprintf("+44 1%03d %06d", rng.IntN(1000), rng.IntN(1000000)), "Individual", "No", "Town " + fmt.Sprint(i%500),
				"Imported from the 2019 membership survey; contact by e-mail first"}
			switch rng.IntN(50) {
			case 0:
				row[0] = ""
			case 1:
				row[0] = fmt.Sprintf("%s %s <%s.%s@council.gov.uk>", first, last, first, last)
			case 2:
				row[5] = "Lapsed"
			case 3:
				row[8], row[1], row[2] = "Organisation", "", org
			case 4:
				row[6] = "03/2021"
			case 5:
				row[0] = "clerk@parishclerks.org.uk"
			case 6:
				row[9] = "Yes"
			case 7:
				if prev != nil {
					row[1], row[2], row[3], row[0] = prev[1], prev[2], prev[3], ""
				}
			}
			prev = row
			if err := yield(row); err != nil {
				return err
			}
		}
		return nil
	}}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sheets.WriteTables(f, tbl); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// benchFile returns the 100,000-row workbook, written in b's temp dir before timing
// starts. GATEHOUSE_BENCH_XLSX names a path to write it at once and reuse, so that
// `make bench` can hand the same file to SheetJS.
func benchFile(b *testing.B) string {
	path := os.Getenv("GATEHOUSE_BENCH_XLSX")
	if path != "" {
		if _, err := os.Stat(path); err == nil {
			return path
		}
	} else {
		path = filepath.Join(b.TempDir(), "contacts-100k.xlsx")
	}
	start := time.Now()
	if err := writeContacts(path, 100000); err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote %s in %v", path, time.Since(start))
	return path
}

// peakHeap samples the live heap while fn runs and returns its highest value.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

// BenchmarkImport100k reads a 100,000 × 12 contact workbook, maps its columns and runs
// every check: what the CLI's dry run and the Imports screen do before storing.
func BenchmarkImport100k(b *testing.B) {
	path := benchFile(b)
	asOf := time.Date(2024, 6, 15, 0, 0, 0, 0, time.UTC)
	var peak uint64
	var rows int
	b.ResetTimer()
	for b.Loop() {
		p := peakHeap(func() {
			a, err := Analyze(context.Background(), path, AnalyzeOptions{AsOf: asOf, DayFirst: true})
			if err != nil {
				b.Fatal(err)
			}
			rows = len(a.Records)
			if a.Summary[quality.MissingEmail] == 0 || a.Summary[quality.SharedEmail] == 0 {
				b.Fatalf("generated problems not found: %v", a.Summary)
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkRead100k is the reading alone, to compare with SheetJS reading the same file.
func BenchmarkRead100k(b *testing.B) {
	path := benchFile(b)
	var peak uint64
	b.ResetTimer()
	for b.Loop() {
		p := peakHeap(func() {
			n := 0
			if _, err := sheets.Read(context.Background(), path, sheets.Options{}, func(sheets.Row) error { n++; return nil }); err != nil || n != 100001 {
				b.Fatalf("read %d rows: %v", n, err)
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(100001*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkSession100k stores the workbook as an import session in SQLite and checks it:
// what opening a file in the Imports screen costs.
func BenchmarkSession100k(b *testing.B) {
	path := benchFile(b)
	var peak uint64
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		db := openTestDB(b, filepath.Join(b.TempDir(), "cache.db"))
		st := NewStore(db, portal.NewFixedClock(time.Date(2024, 6, 15, 0, 0, 0, 0, time.UTC)))
		b.StartTimer()
		p := peakHeap(func() {
			s, err := st.Create(context.Background(), path, CreateOptions{DayFirst: true})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.SetMapping(context.Background(), s.ID, s.Mapping); err != nil {
				b.Fatal(err)
			}
		})
		peak = max(peak, p)
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(100000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

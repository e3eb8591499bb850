package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/backend/batch"
	"gatehouse/backend/cache"
	"gatehouse/backend/portal"
)

const benchRows = 100_000

// seed100k fills a cache with 100,000 accounts in 200 organisations, two thirds of them
// with a last login, as an initial sync would.
func seed100k(b *testing.B, dir string) *Reports {
	b.Helper()
	ctx := context.Background()
	db, err := cache.Open(ctx, filepath.Join(dir, "bench.db"), cache.WithClock(portal.NewFixedClock(now)), cache.WithBulkIdle(0), cache.WithSchema(batch.Schema()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	created := now.Add(-400 * day)
	err = db.Apply(ctx, func(tx *cache.Tx) error {
		for i := range 200 {
			if err := tx.UpsertOrganization(portal.Organization{ID: fmt.Sprintf("org%03d", i), Name: fmt.Sprintf("Parish Council %03d", i),
				CreatedAt: created, UpdatedAt: created, Version: 1}); err != nil {
				return err
			}
		}
		for i := range benchRows {
			a := portal.Account{ID: fmt.Sprintf("acc%06d", i), OrganizationID: fmt.Sprintf("org%03d", i%200),
				Email: fmt.Sprintf("person%06d@council%03d.example", i, i%200), Name: fmt.Sprintf("Person %06d", i),
				Status: portal.StatusActive, Kind: portal.KindClient, CreatedAt: created, UpdatedAt: created, Version: 1}
			if i%3 != 0 {
				t := now.Add(-time.Duration(i%400)*day - time.Duration(i%1440)*time.Minute)
				a.LastLoginAt = &t
			}
			if err := tx.UpsertAccount(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.FinishBulkLoad(ctx); err != nil {
		b.Fatal(err)
	}
	return New(db)
}

// peakHeap samples the heap in use until stop is called, and returns the highest value.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// BenchmarkExportLogins100k exports a 100,000-row latest-logins report (SQLite query,
// styled workbook with a Summary sheet, written to a file) and, beside it, SheetJS writing
// the same rows (testdata/bench/write_sheetjs.js). Metrics: peak-heap-MB of the Go export;
// sheetjs-ms and sheetjs-maxRSS-MB of the node run; ratio = Go time / SheetJS time (goal ≤ 0.3);
// xlsx-MB and sheetjs-xlsx-MB, the sizes of the two files.
func BenchmarkExportLogins100k(b *testing.B) {
	dir := b.TempDir()
	r := seed100k(b, dir)
	ctx := context.Background()
	out := filepath.Join(dir, "logins.xlsx")

	runtime.GC()
	stop := peakHeap()
	var rows int
	start := time.Now()
	b.ResetTimer()
	for b.Loop() {
		n, err := r.ExportFile(ctx, out, KindLogins, Filter{}, Sort{}, FormatXLSX, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows = n
	}
	b.StopTimer()
	goMS := float64(time.Since(start).Milliseconds()) / float64(b.N)
	peak := stop()
	if rows != benchRows {
		b.Fatalf("exported %d rows, want %d", rows, benchRows)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	if st, err := os.Stat(out); err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "xlsx-MB")
	}
	b.ReportMetric(float64(rows)/(goMS/1000), "rows/s")

	node, err := exec.LookPath("node")
	script, _ := filepath.Abs("testdata/bench/write_sheetjs.js")
	sheetjs := filepath.Join(filepath.Dir(script), "../../../../frontend/node_modules/xlsx/package.json")
	if _, serr := os.Stat(sheetjs); err != nil || serr != nil {
		if os.Getenv("CI") == "true" {
			b.Fatalf("node or frontend/node_modules/xlsx is missing (run npm ci in frontend); CI=true makes it a failure")
		}
		b.Logf("SheetJS comparison skipped: node or frontend/node_modules/xlsx is missing")
		return
	}
	// The same rows, as the report yields them, for SheetJS.
	page := struct {
		Columns []string `json:"columns"`
		Dates   []int    `json:"dates"`
		Rows    [][]any  `json:"rows"`
	}{}
	for i, c := range loginsTable.columns {
		page.Columns = append(page.Columns, c.Label)
		if c.Type == ColDateTime {
			page.Dates = append(page.Dates, i)
		}
	}
	err = r.each(ctx, KindLogins, Filter{}, Sort{}, func(int) {}, func(row Row) error {
		page.Rows = append(page.Rows, row.Cells)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	in := filepath.Join(dir, "rows.json")
	buf, err := json.Marshal(page)
	if err != nil {
		b.Fatal(err)
	}
	page.Rows = nil
	if err := os.WriteFile(in, buf, 0o600); err != nil {
		b.Fatal(err)
	}
	sjOut := filepath.Join(dir, "sheetjs.xlsx")
	res, err := exec.Command(node, script, in, sjOut).Output()
	if err != nil {
		b.Fatalf("node %s: %v", script, err)
	}
	var sj struct {
		Rows     int     `json:"rows"`
		MS       float64 `json:"ms"`
		MaxRSSMB float64 `json:"maxRssMB"`
	}
	if err := json.Unmarshal(res, &sj); err != nil || sj.Rows != benchRows {
		b.Fatalf("SheetJS answered %q (%v)", res, err)
	}
	b.ReportMetric(sj.MS, "sheetjs-ms")
	if st, err := os.Stat(sjOut); err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "sheetjs-xlsx-MB")
	}
	b.ReportMetric(sj.MaxRSSMB, "sheetjs-maxRSS-MB")
	b.ReportMetric(goMS/sj.MS, "ratio")
}

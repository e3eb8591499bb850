// Command benchtable reads the output of `make bench` (go test -bench lines and the lines the
// peer scripts print) and prints one table: each figure beside the peer measured in the same
// run, with the ratio and the goal set for it. It only reads and prints:
// benchmarks are figures to look at, never assertions.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// metrics maps "BenchmarkName" → unit → value (the last run wins).
type metrics map[string]map[string]float64

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// Peer scripts print lines such as
// "SheetJS 0.18.5: read 100001 rows in 9.41 s (best of 3), peak RSS 635 MB".
var sheetjsLine = regexp.MustCompile(`^SheetJS [^:]*: (read|wrote|write) (\d+) rows in ([\d.]+) s.*?peak RSS (\d+) MB`)

func parse(r io.Reader) metrics {
	m := metrics{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if s := sheetjsLine.FindStringSubmatch(line); s != nil {
			name := "SheetJSRead"
			if s[1] != "read" {
				name = "SheetJSWrite"
			}
			secs, _ := strconv.ParseFloat(s[3], 64)
			mb, _ := strconv.ParseFloat(s[4], 64)
			m[name] = map[string]float64{"ns/op": secs * 1e9, "peak-MB": mb}
			continue
		}
		s := benchLine.FindStringSubmatch(line)
		if s == nil {
			continue
		}
		f := strings.Fields(s[2])
		vals := map[string]float64{}
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				vals[f[i+1]] = v
			}
		}
		m[s[1]] = vals
	}
	return m
}

func (m metrics) get(bench, unit string) (float64, bool) {
	v, ok := m[bench][unit]
	return v, ok
}

// row is one line of the table: our figure, optionally a peer's, and the goal.
type row struct {
	what       string
	bench      string
	unit       string
	scale      float64 // multiply the raw metric by this for display
	show       string  // display unit
	peerName   string
	peerBench  string
	peerUnit   string
	peerScale  float64 // when the peer's unit differs from ours: multiply it by this to get show
	lowerIsBad bool    // true for throughputs: ratio is peer/ours so that < 1 means "we are slower"
	goal       string
}

var rows = []row{
	{what: "Import + all checks, 100k×12 xlsx", bench: "BenchmarkImport100k", unit: "ns/op", scale: 1e-9, show: "s", peerName: "SheetJS read only", peerBench: "SheetJSRead", peerUnit: "ns/op", goal: "≤ 0.8× SheetJS"},
	{what: "  peak heap", bench: "BenchmarkImport100k", unit: "peak-heap-MB", scale: 1, show: "MB", peerName: "SheetJS peak RSS", peerBench: "SheetJSRead", peerUnit: "peak-MB", goal: "≤ 150 MB"},
	{what: "Read only, 100k×12 xlsx", bench: "BenchmarkRead100k", unit: "ns/op", scale: 1e-9, show: "s", peerName: "SheetJS read", peerBench: "SheetJSRead", peerUnit: "ns/op"},
	{what: "Export 100k-row login report (xlsx)", bench: "BenchmarkExportLogins100k", unit: "ns/op", scale: 1e-9, show: "s", peerName: "SheetJS write", peerBench: "BenchmarkExportLogins100k", peerUnit: "sheetjs-ms", peerScale: 1e-3, goal: "≤ 0.3× SheetJS"},
	{what: "  peak heap", bench: "BenchmarkExportLogins100k", unit: "peak-heap-MB", scale: 1, show: "MB", peerName: "SheetJS peak RSS", peerBench: "BenchmarkExportLogins100k", peerUnit: "sheetjs-maxRSS-MB", goal: "≤ 100 MB"},
	{what: "Initial sync 100k accounts → empty cache", bench: "BenchmarkInitialSync100k/sync", unit: "ns/op", scale: 1e-9, show: "s", peerName: "raw modernc insert", peerBench: "BenchmarkInitialSync100k/sync", peerUnit: "x-raw", goal: "≤ 1.5× raw"},
	{what: "  then indexes built in the background", bench: "BenchmarkInitialSync100k/sync", unit: "indexes-built-s", scale: 1, show: "s", peerName: "raw modernc insert", peerBench: "BenchmarkInitialSync100k/sync", peerUnit: "x-raw-indexed", goal: "≤ 3× raw"},
	{what: "  raw modernc insert, same rows", bench: "BenchmarkInitialSync100k/raw-insert", unit: "ns/op", scale: 1e-9, show: "s"},
	{what: "  cache writes alone, no network", bench: "BenchmarkInitialSync100k/cache-apply-pages", unit: "ns/op", scale: 1e-9, show: "s", peerName: "raw modernc insert", peerBench: "BenchmarkInitialSync100k/raw-insert", peerUnit: "ns/op"},
	{what: "Apply a 10k-row import, queued and sent", bench: "BenchmarkApplyImport10k/apply-and-send", unit: "ns/op", scale: 1e-9, show: "s", peerName: "server bulk API alone", peerBench: "BenchmarkApplyImport10k/server-bulk", peerUnit: "ns/op", goal: "≤ 10 s"},
	{what: "  of which checked and queued (offline)", bench: "BenchmarkApplyImport10k/apply-and-send", unit: "queued-s", scale: 1, show: "s"},
	{what: "Incremental sync, 100 changes", bench: "BenchmarkIncrementalSync100", unit: "ns/op", scale: 1e-6, show: "ms"},
	{what: "Cache upsert 100k accounts (one tx)", bench: "BenchmarkUpsertAccounts100k", unit: "ns/op", scale: 1e-9, show: "s", peerName: "raw modernc insert", peerBench: "BenchmarkRawInsert100k", peerUnit: "ns/op", goal: "≤ 2× raw"},
	{what: "  the same, 64 rows per statement", bench: "BenchmarkUpsertAccountsBatched100k", unit: "ns/op", scale: 1e-9, show: "s", peerName: "raw modernc insert", peerBench: "BenchmarkRawInsert100k", peerUnit: "ns/op", goal: "≤ 2× raw"},
	{what: "Search p95 over 1,000,000 cached accounts", bench: "BenchmarkSearch", unit: "p95-ms", scale: 1, show: "ms", goal: "≤ 20 ms"},
	{what: "  search p95, CPU time", bench: "BenchmarkSearch", unit: "cpu-p95-ms", scale: 1, show: "ms", goal: "≤ 20 ms"},
	{what: "  search p95, 1–2 characters", bench: "BenchmarkSearch", unit: "p95-1-2chars-ms", scale: 1, show: "ms", goal: "≤ 10 ms"},
	{what: "  search p95, 3+ characters", bench: "BenchmarkSearch", unit: "p95-3+chars-ms", scale: 1, show: "ms", goal: "≤ 10 ms"},
	{what: "  search p95, 3+ characters, each matched afresh", bench: "BenchmarkSearch", unit: "p95-3+chars-fresh-ms", scale: 1, show: "ms", goal: "≤ 10 ms"},
	{what: "10k invitations end to end, crash-safe", bench: "BenchmarkSend10k/invitations", unit: "msgs/s", scale: 1, show: "msg/s", peerName: "raw go-smtp", peerBench: "BenchmarkSend10k/invitations", peerUnit: "raw-go-smtp-msgs/s", lowerIsBad: true, goal: "≥ 2,000/s"},
	{what: "10k messages, engine only (no portal call)", bench: "BenchmarkSend10k/notifications", unit: "msgs/s", scale: 1, show: "msg/s", peerName: "raw go-smtp", peerBench: "BenchmarkSend10k/notifications", peerUnit: "raw-go-smtp-msgs/s", lowerIsBad: true},
	{what: "SMTP sender, one reused connection", bench: "BenchmarkSMTPSend", unit: "msgs/s", scale: 1, show: "msg/s", peerName: "raw go-smtp", peerBench: "BenchmarkRawGoSMTP", peerUnit: "msgs/s", lowerIsBad: true},
	{what: "Admin GET /me, median, 1,000 guesses flooding", bench: "BenchmarkMeDuringPasswordFlood", unit: "flood-ms", scale: 1, show: "ms", peerName: "idle", peerBench: "BenchmarkMeDuringPasswordFlood", peerUnit: "idle-ms", goal: "≤ 2× idle"},
	{what: "Approve/deny, 50 concurrent clients, SQLite", bench: "BenchmarkApproveDeny50Clients", unit: "ops/s", scale: 1, show: "ops/s", goal: "≥ 2,000/s"},
	{what: "  p99 latency", bench: "BenchmarkApproveDeny50Clients", unit: "p99-ms", scale: 1, show: "ms", goal: "≤ 50 ms"},
	{what: "Approve/deny, 50 clients, PostgreSQL", bench: "BenchmarkApproveDeny50Clients/postgres", unit: "ops/s", scale: 1, show: "ops/s", peerName: "SQLite", peerBench: "BenchmarkApproveDeny50Clients", peerUnit: "ops/s", lowerIsBad: true},
	{what: "  p99 latency", bench: "BenchmarkApproveDeny50Clients/postgres", unit: "p99-ms", scale: 1, show: "ms", peerName: "SQLite", peerBench: "BenchmarkApproveDeny50Clients", peerUnit: "p99-ms"},
	{what: "Approve/deny, 50 clients, PostgreSQL, 2 processes", bench: "BenchmarkApproveDeny50Clients2Processes/postgres", unit: "ops/s", scale: 1, show: "ops/s", peerName: "SQLite", peerBench: "BenchmarkApproveDeny50Clients", peerUnit: "ops/s", lowerIsBad: true, goal: "≥ SQLite"},
	{what: "  p99 latency", bench: "BenchmarkApproveDeny50Clients2Processes/postgres", unit: "p99-ms", scale: 1, show: "ms", peerName: "SQLite", peerBench: "BenchmarkApproveDeny50Clients", peerUnit: "p99-ms"},
	{what: "Change feed paging over HTTP, SQLite", bench: "BenchmarkChangeFeedPaging", unit: "rows/s", scale: 1, show: "rows/s", peerName: "store, no HTTP", peerBench: "BenchmarkChangeFeedStore", peerUnit: "rows/s", lowerIsBad: true},
	{what: "Change feed paging over HTTP, PostgreSQL", bench: "BenchmarkChangeFeedPaging/postgres", unit: "rows/s", scale: 1, show: "rows/s", peerName: "SQLite", peerBench: "BenchmarkChangeFeedPaging", peerUnit: "rows/s", lowerIsBad: true},
	{what: "10k invitations through the bulk API alone, SQLite", bench: "BenchmarkBulkInvitations", unit: "invitations/s", scale: 1, show: "inv/s"},
	{what: "10k invitations through the bulk API alone, PostgreSQL", bench: "BenchmarkBulkInvitations/postgres", unit: "invitations/s", scale: 1, show: "inv/s", peerName: "SQLite", peerBench: "BenchmarkBulkInvitations", peerUnit: "invitations/s", lowerIsBad: true},
	{what: "10k invitations end to end, PostgreSQL portal", bench: "BenchmarkSend10k/invitations/postgres", unit: "msgs/s", scale: 1, show: "msg/s", peerName: "SQLite portal", peerBench: "BenchmarkSend10k/invitations", peerUnit: "msgs/s", lowerIsBad: true, goal: "≥ 2,000/s"},
	{what: "Whole SSO sign-in against oidc-provider", bench: "BenchmarkHeadlessLogin", unit: "ms/login", scale: 1, show: "ms"},
	{what: "Users table: first rows of 100k in Chromium", bench: "BenchmarkUsersFirstRows", unit: "ms", scale: 1, show: "ms", goal: "≤ 300 ms"},
}

func main() {
	in := io.Reader(os.Stdin)
	if len(os.Args) > 1 {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	}
	m := parse(in)
	fmt.Printf("%-44s %14s  %-20s %14s %8s  %s\n", "figure", "ours", "peer (same run)", "peer", "ratio", "goal")
	fmt.Println(strings.Repeat("-", 120))
	for _, r := range rows {
		v, ok := m.get(r.bench, r.unit)
		if !ok {
			fmt.Printf("%-44s %14s\n", r.what, "not measured")
			continue
		}
		ours := fmt.Sprintf("%.2f %s", v*r.scale, r.show)
		peer, ratio := "", ""
		if r.peerBench != "" {
			if p, ok := m.get(r.peerBench, r.peerUnit); ok {
				switch {
				case strings.HasPrefix(r.peerUnit, "x-raw"):
					// The benchmark already divided by the raw insert it timed itself.
					peer, ratio = "", fmt.Sprintf("%.2f×", p)
				case r.lowerIsBad:
					peer, ratio = fmt.Sprintf("%.0f %s", p, r.show), fmt.Sprintf("%.2f×", v/p)
				case r.peerScale != 0:
					peer, ratio = fmt.Sprintf("%.2f %s", p*r.peerScale, r.show), fmt.Sprintf("%.2f×", v*r.scale/(p*r.peerScale))
				case r.peerUnit == "peak-MB" || r.peerUnit == "sheetjs-maxRSS-MB":
					peer, ratio = fmt.Sprintf("%.0f MB", p), fmt.Sprintf("%.2f×", v/p)
				default:
					peer, ratio = fmt.Sprintf("%.2f %s", p*r.scale, r.show), fmt.Sprintf("%.2f×", v/p)
				}
			} else {
				peer = "not measured"
			}
		}
		fmt.Printf("%-44s %14s  %-20s %14s %8s  %s\n", r.what, ours, r.peerName, peer, ratio, r.goal)
	}
}

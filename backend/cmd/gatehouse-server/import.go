package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"gatehouse/backend/imports"
	"gatehouse/backend/portal"
	"gatehouse/backend/quality"
	"gatehouse/backend/server/service"
	"gatehouse/backend/server/store"
)

const importHelp = `Reads a contact list (.xlsx or .csv), recognises its columns, and checks every row:
missing or invalid e-mail addresses, duplicates, addresses shared between organisations,
organisation rows, non-members, people who already have access, and roles that have
ended. With --dry-run it only reports; without it, it creates and updates the contacts
(and their organisations) in the database, skipping every row with a finding that needs
a decision. Usage: gatehouse-server import [flags] FILE`

// importReport is what --json prints. Its shape is a contract with operators' scripts.
type importReport struct {
	File     string              `json:"file"`
	Rows     int                 `json:"rows"`
	Findings []importFinding     `json:"findings"`
	Summary  map[string]int      `json:"summary"`
	Applied  *importApplyOutcome `json:"applied,omitempty"`
}

type importFinding struct {
	Row     int    `json:"row"`
	Code    string `json:"code"`
	Column  string `json:"column"`
	Message string `json:"message"`
	Related []int  `json:"related"`
}

type importApplyOutcome struct {
	Created              int          `json:"created"`
	Updated              int          `json:"updated"`
	Skipped              int          `json:"skipped"`
	OrganizationsCreated int          `json:"organizationsCreated"`
	SkippedRows          []skippedRow `json:"skippedRows"`
}

type skippedRow struct {
	Row    int    `json:"row"`
	Reason string `json:"reason"`
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("import", importHelp, stdout, os.Getenv)
	var (
		db, asOfText, sheet string
		dryRun, asJSON      bool
		dayFirst            bool
	)
	f.str(&db, "db", "GATEHOUSE_DB", "gatehouse.db", "SQLite database file to import into (not opened with --dry-run)")
	f.BoolVar(&dryRun, "dry-run", false, "only read and check the file; change nothing")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.StringVar(&asOfText, "as-of", "", "check roles against this date, YYYY-MM-DD (default: today)")
	f.StringVar(&sheet, "sheet", "", "the sheet of an .xlsx file to read (default: the first)")
	f.BoolVar(&dayFirst, "day-first", false, "read dates such as 03/04/2024 as 3 April (default: month first, 4 March)")
	f.SetOutput(stderr)
	// The file comes after the flags; flags after the file are accepted too.
	var file string
	rest := args
	for {
		if err := f.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		if f.NArg() == 0 {
			break
		}
		if file != "" {
			fmt.Fprintf(stderr, "give one file only; %q and %q were given\n", file, f.Arg(0))
			return errUsage
		}
		file, rest = f.Arg(0), f.Args()[1:]
	}
	if file == "" {
		fmt.Fprintln(stderr, "name the spreadsheet to import")
		f.Usage()
		return errUsage
	}
	clock := portal.SystemClock{}
	asOf := clock.Now()
	if asOfText != "" {
		t, err := time.Parse("2006-01-02", asOfText)
		if err != nil {
			fmt.Fprintf(stderr, "--as-of %q is not a date like 2024-03-31\n", asOfText)
			return errUsage
		}
		asOf = t
	}
	opt := imports.AnalyzeOptions{Sheet: sheet, DayFirst: dayFirst, AsOf: asOf}
	if dryRun {
		a, err := imports.Analyze(ctx, file, opt)
		if err != nil {
			return importError(err)
		}
		return printImport(stdout, file, a, nil, asJSON)
	}

	st, err := store.Open(ctx, db, clock)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := service.New(ctx, service.Config{Store: st, Clock: clock})
	if err != nil {
		return err
	}
	known, err := loadKnown(ctx, st)
	if err != nil {
		return fmt.Errorf("read the contacts already in %s: %w", db, err)
	}
	opt.Accounts = known.Accounts
	a, err := imports.Analyze(ctx, file, opt)
	if err != nil {
		return importError(err)
	}
	outcome, err := applyImport(ctx, svc, st, imports.Plan(a, known, dayFirst), known)
	if outcome != nil && err != nil {
		// Report what was done before the failure: those rows are stored.
		_ = printImport(stdout, file, a, outcome, asJSON)
	}
	if err != nil {
		return err
	}
	return printImport(stdout, file, a, outcome, asJSON)
}

// importError makes a reading or mapping error readable on a terminal.
func importError(err error) error {
	if msg := portal.ErrorMessage(err); portal.ErrorCode(err) != portal.EINTERNAL {
		return errors.New(msg)
	}
	return err
}

func printImport(w io.Writer, file string, a imports.Analysis, applied *importApplyOutcome, asJSON bool) error {
	rep := importReport{File: file, Rows: len(a.Records), Findings: make([]importFinding, 0, len(a.Findings)), Summary: map[string]int{}, Applied: applied}
	for _, f := range a.Findings {
		rep.Findings = append(rep.Findings, importFinding{Row: f.Row, Code: string(f.Code), Column: f.Column, Message: f.Message, Related: f.Related})
	}
	for c, n := range a.Summary {
		rep.Summary[string(c)] = n
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(w, "%s: %d rows (sheet %q, header row %d)\n", file, rep.Rows, a.Info.Sheet, a.Mapping.HeaderRow)
	for _, c := range quality.Codes {
		if n := a.Summary[c]; n > 0 {
			fmt.Fprintf(w, "  %-20s %6d  %s\n", c, n, c.Label())
		}
	}
	for _, f := range rep.Findings {
		col := ""
		if f.Column != "" {
			col = " " + f.Column
		}
		fmt.Fprintf(w, "row %d%s [%s] %s\n", f.Row, col, f.Code, f.Message)
	}
	if applied != nil {
		fmt.Fprintf(w, "created %d contacts, updated %d, skipped %d; created %d organisations\n", applied.Created, applied.Updated, applied.Skipped, applied.OrganizationsCreated)
	}
	return nil
}

// loadKnown reads what the database already holds: organisations by name, contacts and
// accounts by address.
func loadKnown(ctx context.Context, st store.Store) (imports.Known, error) {
	k := imports.Known{Accounts: quality.AccountSet{}, Contacts: map[string]imports.KnownContact{}, Organizations: map[string]string{}}
	const page = 1000
	err := st.View(ctx, func(r store.Reader) error {
		for after := ""; ; {
			orgs, err := r.Organizations(ctx, store.OrgFilter{After: after, Limit: page})
			if err != nil {
				return err
			}
			for _, o := range orgs {
				k.Organizations[imports.FoldName(o.Name)] = o.ID
			}
			if len(orgs) < page {
				break
			}
			after = orgs[len(orgs)-1].ID
		}
		for after := ""; ; {
			cs, err := r.Contacts(ctx, store.ContactFilter{After: after, Limit: page})
			if err != nil {
				return err
			}
			for _, c := range cs {
				if c.Email != "" {
					k.Contacts[quality.EmailKey(c.Email)] = imports.KnownContact{ID: c.ID, OrganizationID: c.OrganizationID, FullName: c.FullName, Phone: c.Phone, Position: c.Position}
				}
			}
			if len(cs) < page {
				break
			}
			after = cs[len(cs)-1].ID
		}
		for after := ""; ; {
			as, err := r.Accounts(ctx, store.AccountFilter{After: after, Limit: page})
			if err != nil {
				return err
			}
			for _, a := range as {
				k.Accounts[quality.EmailKey(a.Email)] = a.Status
			}
			if len(as) < page {
				break
			}
			after = as[len(as)-1].ID
		}
		return nil
	})
	return k, err
}

// applyImport carries out a plan through the portal's service, as the system, one
// contact per transaction: a failure stops the import with the rows before it stored.
func applyImport(ctx context.Context, svc *service.Service, st store.Store, plan imports.Preview, known imports.Known) (*importApplyOutcome, error) {
	out := &importApplyOutcome{SkippedRows: []skippedRow{}}
	actor := portal.SystemActor()
	orgIDs := map[string]string{}
	for k, v := range known.Organizations {
		orgIDs[k] = v
	}
	for _, pr := range plan.Rows {
		if pr.Action == imports.PreviewSkip {
			out.Skipped++
			out.SkippedRows = append(out.SkippedRows, skippedRow{Row: pr.Row, Reason: pr.Reason})
			continue
		}
		c := pr.Contact
		if name := strings.TrimSpace(pr.Organization); name != "" {
			key := imports.FoldName(name)
			if _, ok := orgIDs[key]; !ok {
				o, err := svc.CreateOrganization(ctx, &service.Cmd{Actor: actor}, portal.Organization{Name: name, Member: c.Member})
				if err != nil {
					return out, fmt.Errorf("row %d: create organisation %q: %w", pr.Row, name, err)
				}
				orgIDs[key] = o.ID
				out.OrganizationsCreated++
			}
			c.OrganizationID = orgIDs[key]
		}
		switch pr.Action {
		case imports.PreviewCreate:
			if _, err := svc.CreateContact(ctx, &service.Cmd{Actor: actor}, c); err != nil {
				return out, fmt.Errorf("row %d: create contact %s: %w", pr.Row, c.Email, err)
			}
			out.Created++
		case imports.PreviewUpdate:
			before, err := svc.GetContact(ctx, actor, pr.ContactID)
			if err != nil {
				return out, fmt.Errorf("row %d: read contact %s: %w", pr.Row, pr.ContactID, err)
			}
			// Only what the sheet says changes; the rest of the contact stays as it is.
			after := before
			for _, ch := range pr.Changes {
				switch ch {
				case "name":
					after.FullName, after.FirstName, after.LastName = c.FullName, c.FirstName, c.LastName
				case "phone":
					after.Phone = c.Phone
				case "position":
					after.Position = c.Position
				case "organisation":
					after.OrganizationID = c.OrganizationID
				}
			}
			if c.RoleUntil != nil {
				after.RoleUntil = c.RoleUntil
			}
			if _, err := svc.UpdateContact(ctx, &service.Cmd{Actor: actor, IfMatch: before.Version}, pr.ContactID, after); err != nil {
				return out, fmt.Errorf("row %d: update contact %s: %w", pr.Row, c.Email, err)
			}
			out.Updated++
		}
	}
	sort.Slice(out.SkippedRows, func(i, j int) bool { return out.SkippedRows[i].Row < out.SkippedRows[j].Row })
	return out, nil
}

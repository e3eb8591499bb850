package imports

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// buildServer builds the gatehouse-server command, whose import subcommand wraps this
// package, and returns the binary's path.
func buildServer(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the server binary")
	}
	bin := filepath.Join(t.TempDir(), "gatehouse-server")
	cmd := exec.Command("go", "build", "-o", bin, "gatehouse/backend/cmd/gatehouse-server")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build gatehouse-server: %v\n%s", err, out)
	}
	return bin
}

func runCLI(t *testing.T, bin string, env []string, args ...string) (string, string, int) {
	t.Helper()
	// A hang (say, a deadlock in the server's store) fails the test instead of stalling it.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("gatehouse-server %s did not finish in 90 s; stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func TestImportCommand(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "portal.db")
	env := []string{"GATEHOUSE_DB=" + dbPath}
	file := writeFile(t, "councils.csv", contactsCSV)

	// The dry run prints exactly the documented JSON and creates no database.
	out, errOut, code := runCLI(t, bin, env, "import", "--dry-run", "--json", "--as-of", "2024-06-15", "--day-first", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	keys := []string{}
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"file", "findings", "rows", "summary"}) {
		t.Errorf("top-level keys %v", keys)
	}
	var rep struct {
		File     string           `json:"file"`
		Rows     int              `json:"rows"`
		Findings []map[string]any `json:"findings"`
		Summary  map[string]int   `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.File != file || rep.Rows != 10 || rep.Summary["shared_email"] != 2 || rep.Summary["role_expired"] != 1 || rep.Summary["invalid_email"] != 1 {
		t.Errorf("report %+v", rep)
	}
	for _, f := range rep.Findings {
		fk := []string{}
		for k := range f {
			fk = append(fk, k)
		}
		slices.Sort(fk)
		if !slices.Equal(fk, []string{"code", "column", "message", "related", "row"}) {
			t.Fatalf("finding keys %v", fk)
		}
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Errorf("the dry run touched the database: %v", err)
	}

	// A file that cannot be read fails with a message naming it.
	_, errOut, code = runCLI(t, bin, env, "import", "--dry-run", filepath.Join("..", "sheets", "testdata", "generated", "libreoffice.xls"))
	if code != 1 || !strings.Contains(errOut, "libreoffice.xls") || !strings.Contains(errOut, ".xlsx") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	_, _, code = runCLI(t, bin, env, "import", "--dry-run")
	if code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
}

// TestImportCommandApply imports into a real server database: rows without findings
// become contacts (with their organisations); a second run finds them there.
func TestImportCommandApply(t *testing.T) {
	bin := buildServer(t)
	env := []string{"GATEHOUSE_DB=" + filepath.Join(t.TempDir(), "portal.db")}
	file := writeFile(t, "councils.csv", contactsCSV)
	out, errOut, code := runCLI(t, bin, env, "import", "--json", "--as-of", "2024-06-15", "--day-first", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var applied struct {
		Applied struct {
			Created, Updated, Skipped, OrganizationsCreated int
		} `json:"applied"`
	}
	if err := json.Unmarshal([]byte(out), &applied); err != nil {
		t.Fatal(err)
	}
	a := applied.Applied
	if a.Created != 2 || a.Updated != 0 || a.Skipped != 8 || a.OrganizationsCreated != 2 {
		t.Errorf("first import: %+v", a)
	}
	out, _, code = runCLI(t, bin, env, "import", "--json", "--as-of", "2024-06-15", "--day-first", file)
	if err := json.Unmarshal([]byte(out), &applied); err != nil || code != 0 {
		t.Fatal(err, code)
	}
	if a := applied.Applied; a.Created != 0 || a.Skipped != 10 {
		t.Errorf("second import should change nothing: %+v", a)
	}
}

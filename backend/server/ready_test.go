package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A load balancer asks /readyz: ready while the database answers with the schema this
// server needs, 503 with the reason when it does not; /healthz only says the process runs.
func TestReadiness(t *testing.T) {
	e := newEnv(t)
	get := func(path string) (int, map[string]string) {
		t.Helper()
		res, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]string
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	if code, body := get("/readyz"); code != http.StatusOK || body["status"] != "ready" {
		t.Fatalf("/readyz = %d %v", code, body)
	}
	// A newer build migrated the database behind this server's back.
	db := rawDB(t, e.st)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body["reason"], "schema version 999") {
		t.Errorf("/readyz with a newer schema = %d %v", code, body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
}

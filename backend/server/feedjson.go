package server

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"gatehouse/backend/server/api"
)

// writeChangesPage writes a feed page as encoding/json would, but copies each record's
// stored JSON as it is: the store wrote it with json.Marshal, and re-validating it is most
// of the cost of serving the feed. The page is streamed: a page of a first download is
// megabytes, and a buffer that size for every request is most of the feed's garbage.
// With gzip set the page is compressed (see compressFeed).
func writeChangesPage(w http.ResponseWriter, p api.ChangesPage, gz bool) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Add("Vary", "Accept-Encoding")
	var out io.Writer = w
	if gz {
		w.Header().Set("Content-Encoding", "gzip")
		z, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // the level is valid
		defer z.Close()                                // after the Flush below
		out = z
	}
	w.WriteHeader(http.StatusOK)
	b := bufio.NewWriterSize(out, 64<<10)
	// A write error means the follower went away; it asks again from its cursor.
	defer b.Flush() //nolint:errcheck
	str := func(s string) {
		if plainJSON(s) {
			b.WriteByte('"')
			b.WriteString(s)
			b.WriteByte('"')
			return
		}
		q, _ := json.Marshal(s)
		b.Write(q)
	}
	b.WriteString(`{"feedId":`)
	str(p.FeedID)
	b.WriteString(`,"changes":[`)
	for i, c := range p.Changes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"seq":`)
		b.WriteString(strconv.FormatInt(c.Seq, 10))
		b.WriteString(`,"entity":`)
		str(c.Entity)
		b.WriteString(`,"id":`)
		str(c.ID)
		b.WriteString(`,"op":`)
		str(c.Op)
		b.WriteString(`,"version":`)
		b.WriteString(strconv.FormatInt(c.Version, 10))
		if c.OrganizationID != "" {
			b.WriteString(`,"organizationId":`)
			str(c.OrganizationID)
		}
		b.WriteString(`,"at":"`)
		b.WriteString(c.At.Format(time.RFC3339Nano))
		b.WriteByte('"')
		if len(c.Data) > 0 {
			b.WriteString(`,"data":`)
			b.Write(c.Data)
		}
		b.WriteByte('}')
	}
	b.WriteString(`],"next":`)
	b.WriteString(strconv.FormatInt(p.Next, 10))
	b.WriteString(`,"more":`)
	b.WriteString(strconv.FormatBool(p.More))
	b.WriteString("}\n")
}

// plainJSON reports whether s is written in JSON as it is, between quotes: printable ASCII
// that encoding/json neither escapes nor replaces (it escapes <, > and & for HTML).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"gatehouse/backend/server/api"
)

// writeChangesPage writes a feed page as encoding/json would, but copies each record's
// stored JSON as it is: the store wrote it with json.Marshal, and re-validating it is most
// of the cost of serving the feed.
func writeChangesPage(w http.ResponseWriter, p api.ChangesPage) {
	var b bytes.Buffer
	size := 64
	for _, c := range p.Changes {
		size += 160 + len(c.Data)
	}
	b.Grow(size)
	str := func(s string) {
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
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

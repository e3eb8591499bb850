package sheets

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings reported in Info.Encoding.
const (
	EncUTF8        = "UTF-8"
	EncUTF8BOM     = "UTF-8 with BOM"
	EncUTF16LE     = "UTF-16LE"
	EncUTF16BE     = "UTF-16BE"
	EncWindows1252 = "Windows-1252"
)

const sniffBytes = 64 << 10

// detectEncoding works out a text file's encoding from its first bytes: a byte-order mark
// decides; without one, UTF-16 shows as zero bytes in every other place, and anything
// that is not valid UTF-8 is taken to be Windows-1252, which Excel writes on Western
// Windows systems when saving as plain "CSV".
func detectEncoding(sample []byte) (name string, bomLen int, dec *encoding.Decoder) {
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		return EncUTF8BOM, 3, nil
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}):
		return EncUTF16LE, 2, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()
	case bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return EncUTF16BE, 2, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()
	}
	if len(sample) >= 4 {
		evenZero, oddZero := 0, 0
		n := min(len(sample), 4096) &^ 1
		for i := 0; i < n; i += 2 {
			if sample[i] == 0 {
				evenZero++
			}
			if sample[i+1] == 0 {
				oddZero++
			}
		}
		switch half := n / 4; {
		case oddZero > half && evenZero == 0:
			return EncUTF16LE, 0, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()
		case evenZero > half && oddZero == 0:
			return EncUTF16BE, 0, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()
		}
	}
	s := sample
	if len(s) == sniffBytes {
		// The sample may end inside a multi-byte character.
		for i := 0; i < utf8.UTFMax && len(s) > 0 && !utf8.Valid(s); i++ {
			s = s[:len(s)-1]
		}
	}
	if utf8.Valid(s) {
		return EncUTF8, 0, nil
	}
	return EncWindows1252, 0, charmap.Windows1252.NewDecoder()
}

// utf8Checker passes UTF-8 through and fails on the first invalid byte sequence, so a file
// that turns out not to be UTF-8 after the sampled start is refused instead of being
// imported with replacement characters.
type utf8Checker struct {
	r       io.Reader
	pending []byte
	line    int
	err     error // sticky: the valid bytes before a bad one are handed out first
}

var errNotUTF8 = errors.New("invalid UTF-8")

func (c *utf8Checker) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	k := copy(p, c.pending)
	n, err := c.r.Read(p[k:])
	b := p[:k+n]
	c.pending = c.pending[:0]
	// Hold back an incomplete character at the end until the next read completes it.
	if err == nil {
		for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
			if utf8.RuneStart(b[len(b)-i]) {
				if !utf8.FullRune(b[len(b)-i:]) {
					c.pending = append(c.pending, b[len(b)-i:]...)
					b = b[:len(b)-i]
				}
				break
			}
		}
	}
	if !utf8.Valid(b) {
		for i := 0; i < len(b); {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				c.line += bytes.Count(b[:i], []byte{'\n'})
				c.err = errNotUTF8
				if i == 0 {
					return 0, c.err
				}
				return i, nil
			}
			i += size
		}
	}
	c.line += bytes.Count(b, []byte{'\n'})
	return len(b), err
}

// detectDelimiter tries each usual separator on the first records and keeps the one that
// splits them into the most columns most consistently.
func detectDelimiter(sample string) rune {
	best, bestScore := ',', 0.0
	for _, d := range []rune{',', ';', '\t', '|'} {
		r := csv.NewReader(strings.NewReader(sample))
		r.Comma, r.FieldsPerRecord, r.LazyQuotes = d, -1, true
		counts := map[int]int{}
		records := 0
		for records < 50 {
			rec, err := r.Read()
			if err != nil {
				break
			}
			records++
			counts[len(rec)]++
		}
		if records == 0 {
			continue
		}
		mode, freq := 0, 0
		for n, f := range counts {
			if f > freq || f == freq && n > mode {
				mode, freq = n, f
			}
		}
		if mode < 2 {
			continue
		}
		score := float64(freq) / float64(records) * float64(mode)
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

func readCSV(ctx context.Context, f io.ReadSeeker, file string, opt Options, fn func(Row) error) (Info, error) {
	lim := opt.limits()
	info := Info{File: file, Format: FormatCSV}
	sample := make([]byte, sniffBytes)
	n, err := io.ReadFull(f, sample)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return info, &ReadError{File: file, Msg: "the file cannot be read: " + err.Error(), Err: err}
	}
	sample = sample[:n]
	enc, bomLen, dec := detectEncoding(sample)
	info.Encoding = enc
	if _, err := f.Seek(int64(bomLen), io.SeekStart); err != nil {
		return info, &ReadError{File: file, Msg: "the file cannot be read: " + err.Error(), Err: err}
	}
	var src io.Reader = f
	var checker *utf8Checker
	if dec != nil {
		src = transform.NewReader(f, dec)
	} else {
		checker = &utf8Checker{r: f}
		src = checker
	}
	br := bufio.NewReaderSize(src, 256<<10)
	peek, _ := br.Peek(sniffBytes)
	text := string(peek)
	if enc == EncUTF16LE || enc == EncUTF16BE {
		text = strings.TrimPrefix(text, "\uFEFF")
	}
	// Excel honours a first line "sep=;" naming the separator.
	var delim rune
	if line, _, _ := strings.Cut(text, "\n"); strings.HasPrefix(strings.ToLower(line), "sep=") && len(strings.TrimSpace(line)) == 5 {
		delim = rune(strings.TrimSpace(line)[4])
		if _, err := br.ReadString('\n'); err != nil {
			return info, nil
		}
	} else {
		delim = detectDelimiter(text)
	}
	info.Delimiter = string(delim)
	cr := csv.NewReader(br)
	cr.Comma, cr.FieldsPerRecord, cr.ReuseRecord = delim, -1, true
	prog := newProgress(opt)
	for recNo := 1; ; recNo++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			switch {
			case errors.Is(err, errNotUTF8):
				return info, &ReadError{File: file, Row: recNo, Err: err, Msg: fmt.Sprintf("near line %d the file holds bytes that are not UTF-8, though it starts as UTF-8; it mixes encodings. Open it in Excel and save it as \"CSV UTF-8\", then import again.", checker.line+1)}
			case errors.As(err, &pe):
				line = pe.Line
				col := ""
				if pe.Column > 0 {
					col = fmt.Sprintf(" (character %d)", pe.Column)
				}
				return info, &ReadError{File: file, Row: recNo, Err: err, Msg: fmt.Sprintf("line %d%s: %v. Check the quote marks there, or open the file in Excel and save it again as CSV.", line, col, pe.Err)}
			}
			return info, &ReadError{File: file, Row: recNo, Err: err, Msg: "the file cannot be read: " + err.Error()}
		}
		if recNo > lim.MaxRows {
			return info, &ReadError{File: file, Row: recNo, Err: ErrLimit, Msg: fmt.Sprintf("the file has more than %d rows, the most that can be imported. Split it.", lim.MaxRows)}
		}
		if len(rec) > lim.MaxColumns {
			return info, &ReadError{File: file, Row: recNo, Column: ColumnName(lim.MaxColumns + 1), Err: ErrLimit, Msg: fmt.Sprintf("the row has %d columns, more than the %d that can be imported.", len(rec), lim.MaxColumns)}
		}
		if recNo == 1 && enc != EncUTF8BOM && len(rec) > 0 {
			// A second byte-order mark after the detected one (or one in a file read as
			// another encoding) is not data. Trimmed before the emptiness check, so a
			// first row of nothing else is skipped like any empty row.
			rec[0] = strings.TrimPrefix(rec[0], "\uFEFF")
		}
		last := -1
		for i, c := range rec {
			if c != "" {
				last = i
			}
			if len(c) > lim.MaxCellChars && utf8.RuneCountInString(c) > lim.MaxCellChars {
				return info, &ReadError{File: file, Row: recNo, Column: ColumnName(i + 1), Err: ErrLimit, Msg: fmt.Sprintf("the cell holds more than %d characters. A quote mark may be missing, so that many lines ran into one cell; check the file around this row.", lim.MaxCellChars)}
			}
		}
		if last < 0 {
			continue
		}
		row := Row{Number: recNo, Cells: make([]string, last+1)}
		copy(row.Cells, rec)
		prog.row()
		if prog.n%4096 == 0 && ctx.Err() != nil {
			return info, ctx.Err()
		}
		if err := fn(row); err != nil {
			info.Rows = prog.n
			return info, err
		}
	}
	info.Rows = prog.n
	prog.done()
	return info, nil
}

package shard

import (
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeFast decodes a generation record in the shape our runner writes
// (a flat object of the Generation fields, spelled as their JSON tags) in
// one pass, without encoding/json's validation pass and reflection: on a
// merge of R1-length generations encoding/json was a third of the time.
// It accepts only what the strict decoding (json.Unmarshal into the plain
// struct) accepts, and gives the same result; for anything else (an
// unknown or differently-cased key, a number with a fraction, an
// escape it does not take, invalid UTF-8, bad JSON) it returns false
// without a trace, and the caller decodes the record with encoding/json.
// FuzzDecodeFast holds the two to the same result.
func (g *Generation) decodeFast(b []byte) bool {
	d := *g // like encoding/json, keep what the record does not set
	d.Index = noIndex
	p := fastParser{b: b}
	p.space()
	if !p.byte('{') {
		return false
	}
	p.space()
	if p.peek() == '}' {
		p.i++
	} else {
		for {
			key, ok := p.plainString()
			if !ok {
				return false
			}
			p.space()
			if !p.byte(':') {
				return false
			}
			p.space()
			if !d.fastField(&p, key) {
				return false
			}
			p.space()
			if p.byte(',') {
				p.space()
				continue
			}
			if !p.byte('}') {
				return false
			}
			break
		}
	}
	p.space()
	if p.i != len(b) {
		return false
	}
	*g = d
	return true
}

// fastField decodes the value of key into d.
func (d *Generation) fastField(p *fastParser, key []byte) bool {
	var s *string
	var n *int
	var t *time.Time
	switch string(key) {
	case "uuid":
		s = &d.UUID
	case "text":
		s = &d.Text
	case "finish_reason":
		s = &d.FinishReason
	case "model":
		s = &d.Model
	case "host":
		s = &d.Host
	case "job_id":
		s = &d.JobID
	case "index":
		n = &d.Index
	case "prompt_tokens":
		n = &d.PromptTokens
	case "completion_tokens":
		n = &d.CompletionTokens
	case "attempts":
		n = &d.Attempts
	case "latency_ms":
		v, ok := p.integer()
		if ok {
			d.LatencyMS = v
		}
		return ok
	case "started_at":
		t = &d.StartedAt
	case "finished_at":
		t = &d.FinishedAt
	default:
		return false
	}
	if p.null() {
		return true // encoding/json leaves the field as it is
	}
	switch {
	case s != nil:
		v, ok := p.str()
		*s = v
		return ok
	case n != nil:
		v, ok := p.integer()
		*n = int(v)
		return ok
	default:
		start := p.i
		if _, ok := p.plainString(); !ok {
			return false
		}
		return t.UnmarshalJSON(p.b[start:p.i]) == nil
	}
}

// fastParser reads JSON tokens from b at i.
type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *fastParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) byte(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *fastParser) null() bool {
	if len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

// integer reads an integer without fraction or exponent, as JSON spells
// it (no leading zeros), of at most 18 digits.
func (p *fastParser) integer() (int64, bool) {
	start := p.i
	p.byte('-')
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	nd := p.i - digits
	if nd == 0 || nd > 18 || nd > 1 && p.b[digits] == '0' {
		return 0, false
	}
	switch p.peek() {
	case '.', 'e', 'E':
		return 0, false
	}
	v, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	return v, err == nil
}

// plainString reads a string without escapes and with only ASCII in it,
// returning its content.
func (p *fastParser) plainString() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// str reads a string with the escapes JSON has; invalid UTF-8, a control
// character or a lone surrogate (which encoding/json would replace by
// U+FFFD) is refused.
func (p *fastParser) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return "", false
}

// escaped finishes a string that began at start and has an escape at
// p.i.
func (p *fastParser) escaped(start int) (string, bool) {
	out := make([]byte, 0, len(p.b)-start)
	out = append(out, p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			if !utf8.Valid(out) {
				return "", false
			}
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			return "", false
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				if !(p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u') {
					return "", false
				}
				p.i += 2
				r2, ok := p.hex4()
				if !ok {
					return "", false
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return "", false
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return "", false
}

func (p *fastParser) hex4() (rune, bool) {
	if p.i+4 > len(p.b) {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"strings"
)

// serverMessage pulls the human-readable message out of an error body:
// OpenAI's {"error": {"message": ...}}, SGLang's and vLLM's
// {"object": "error", "message": ...}, FastAPI's {"detail": ...}, or the
// body itself, clipped.
func serverMessage(data []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(data, &v) == nil {
		if len(v.Error) > 0 {
			var e struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(v.Error, &e) == nil && e.Message != "" {
				return oneLine(e.Message)
			}
			var s string
			if json.Unmarshal(v.Error, &s) == nil && s != "" {
				return oneLine(s)
			}
		}
		if v.Message != "" {
			return oneLine(v.Message)
		}
		if len(v.Detail) > 0 {
			var s string
			if json.Unmarshal(v.Detail, &s) == nil {
				return oneLine(s)
			}
			if m := validationMessage(v.Detail); m != "" {
				return m
			}
			return clip(v.Detail, 300)
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return "(empty body)"
	}
	if page := htmlText(data); page != "" {
		return page
	}
	return clip(data, 300)
}

// validationMessage reads FastAPI's validation errors, [{"loc": ["body",
// "top_p"], "msg": "..."}, ...], as "body.top_p: ...; ..."; "" when detail
// is not such a list.
func validationMessage(detail json.RawMessage) string {
	var items []struct {
		Loc []any  `json:"loc"`
		Msg string `json:"msg"`
	}
	if json.Unmarshal(detail, &items) != nil {
		return ""
	}
	var parts []string
	for _, it := range items {
		if it.Msg == "" {
			continue
		}
		loc := make([]string, 0, len(it.Loc))
		for _, l := range it.Loc {
			loc = append(loc, fmt.Sprint(l))
		}
		if len(loc) > 0 {
			parts = append(parts, strings.Join(loc, ".")+": "+it.Msg)
		} else {
			parts = append(parts, it.Msg)
		}
	}
	return oneLine(strings.Join(parts, "; "))
}

// htmlText is the visible text of an HTML page (a proxy's "502 Bad
// Gateway"), without its head, scripts and styles, on one line and
// clipped; its title when the body says nothing; "" when data is not an
// HTML page.
func htmlText(data []byte) string {
	s := strings.TrimSpace(string(data))
	// ASCII-only lower case, byte by byte, keeps the offsets of s and
	// low equal whatever the bytes.
	lb := []byte(s)
	for i, c := range lb {
		if 'A' <= c && c <= 'Z' {
			lb[i] = c + 'a' - 'A'
		}
	}
	low := string(lb)
	if !strings.HasPrefix(low, "<!doctype html") && !strings.HasPrefix(low, "<html") {
		return ""
	}
	title := ""
	if i := strings.Index(low, "<title>"); i >= 0 {
		if j := strings.Index(low[i:], "</title>"); j >= 0 {
			title = s[i+len("<title>") : i+j]
		}
	}
	for _, tag := range []string{"head", "script", "style"} {
		s, low = dropElement(s, low, tag)
	}
	var sb strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
			sb.WriteByte(' ')
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			sb.WriteRune(r)
		}
	}
	text := oneLine(html.UnescapeString(sb.String()))
	if text == "" {
		text = oneLine(html.UnescapeString(title))
	}
	if text == "" {
		return "(an HTML page)"
	}
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return text
}

// dropElement cuts every <tag ...>...</tag> out of s; low is s in lower
// case, cut alike.
func dropElement(s, low, tag string) (string, string) {
	from := 0
	for {
		i := strings.Index(low[from:], "<"+tag)
		if i < 0 {
			return s, low
		}
		i += from
		if end := i + 1 + len(tag); end < len(low) && low[end] != '>' && low[end] != ' ' && low[end] != '\t' && low[end] != '\n' && low[end] != '\r' && low[end] != '/' {
			from = end // <header> is not <head>
			continue
		}
		j := strings.Index(low[i:], "</"+tag+">")
		if j < 0 {
			return s[:i], low[:i]
		}
		end := i + j + len(tag) + 3
		s, low = s[:i]+" "+s[end:], low[:i]+" "+low[end:]
		from = i
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

func clip(b []byte, n int) string {
	s := oneLine(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

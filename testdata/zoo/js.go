// JSON as JavaScript sees it, for the Express receivers: jsonParse behaves
// like JSON.parse (after body-parser has decoded the bytes as UTF-8) and
// jsonStringify like JSON.stringify with no indentation. Strings are UTF-16
// code units, as in JS, so a lone surrogate survives a round trip; objects
// keep their keys in JS property order (integer-like keys first, ascending,
// then the others in the order they first appeared; a repeated key keeps
// its first place and its last value); numbers are doubles.

package main

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsString is a JS string: UTF-16 code units.
type jsString []uint16

func (s jsString) String() string { return string(utf16.Decode(s)) }

// jsObject is a plain object: its own keys in insertion order.
type jsObject struct {
	keys []jsString
	vals map[string]any // by propKey; null (nil), bool, float64, jsString, *jsObject, []any
}

// propKey is a map key for a property name, lone surrogates included.
func propKey(s jsString) string {
	b := make([]byte, 0, 2*len(s))
	for _, u := range s {
		b = append(b, byte(u>>8), byte(u))
	}
	return string(b)
}

// get returns the property named key (undefined: nil).
func (o *jsObject) get(key string) any {
	return o.vals[propKey(jsString(utf16.Encode([]rune(key))))]
}

// str returns a property as a Go string, when it is a non-empty string.
func (o *jsObject) str(key string) (string, bool) {
	if o == nil {
		return "", false
	}
	s, ok := o.get(key).(jsString)
	if !ok || len(s) == 0 {
		return "", false
	}
	return s.String(), true
}

func (o *jsObject) obj(key string) *jsObject {
	if o == nil {
		return nil
	}
	v, _ := o.get(key).(*jsObject)
	return v
}

// ownKeys is OrdinaryOwnPropertyKeys: array-index keys ascending, then the
// rest in creation order.
func (o *jsObject) ownKeys() []jsString {
	var idx, rest []jsString
	for _, k := range o.keys {
		if isArrayIndex(k.String()) {
			idx = append(idx, k)
		} else {
			rest = append(rest, k)
		}
	}
	sort.Slice(idx, func(i, j int) bool {
		a, _ := strconv.ParseUint(idx[i].String(), 10, 32)
		b, _ := strconv.ParseUint(idx[j].String(), 10, 32)
		return a < b
	})
	return append(idx, rest...)
}

func isArrayIndex(k string) bool {
	if k == "" || (len(k) > 1 && k[0] == '0') {
		return false
	}
	n, err := strconv.ParseUint(k, 10, 32)
	return err == nil && n < math.MaxUint32
}

var errJSONSyntax = errors.New("Unexpected token in JSON")

// jsonParse is JSON.parse of the UTF-8 text b (invalid bytes read as U+FFFD).
func jsonParse(b []byte) (any, error) {
	p := &jsParser{s: b}
	p.ws()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, p.fail()
	}
	return v, nil
}

type jsParser struct {
	s []byte
	i int
}

func (p *jsParser) fail() error {
	return fmt.Errorf("%w at position %d", errJSONSyntax, p.i)
}

func (p *jsParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *jsParser) lit(word string) bool {
	if strings.HasPrefix(string(p.s[p.i:min(len(p.s), p.i+len(word))]), word) {
		p.i += len(word)
		return true
	}
	return false
}

func (p *jsParser) value() (any, error) {
	if p.i >= len(p.s) {
		return nil, p.fail()
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case p.lit("true"):
		return true, nil
	case p.lit("false"):
		return false, nil
	case p.lit("null"):
		return nil, nil
	}
	return nil, p.fail()
}

func (p *jsParser) object() (any, error) {
	p.i++ // {
	o := &jsObject{vals: map[string]any{}}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return o, nil
	}
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.fail()
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.fail()
		}
		p.i++
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		pk := propKey(k)
		if _, seen := o.vals[pk]; !seen {
			o.keys = append(o.keys, k)
		}
		o.vals[pk] = v
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.fail()
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return o, nil
		default:
			return nil, p.fail()
		}
	}
}

func (p *jsParser) array() (any, error) {
	p.i++ // [
	out := []any{}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return out, nil
	}
	for {
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.fail()
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return out, nil
		default:
			return nil, p.fail()
		}
	}
}

func (p *jsParser) str() (jsString, error) {
	p.i++ // "
	var out jsString
	for {
		if p.i >= len(p.s) {
			return nil, p.fail()
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return out, nil
		case c < 0x20:
			return nil, p.fail()
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return nil, p.fail()
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, uint16(e))
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
				if p.i+4 > len(p.s) {
					return nil, p.fail()
				}
				n, err := strconv.ParseUint(string(p.s[p.i:p.i+4]), 16, 16)
				if err != nil {
					return nil, p.fail()
				}
				out = append(out, uint16(n))
				p.i += 4
			default:
				return nil, p.fail()
			}
		case c < utf8.RuneSelf:
			out = append(out, uint16(c))
			p.i++
		default:
			r, size := decodeUTF8(p.s[p.i:])
			p.i += size
			out = utf16.AppendRune(out, r)
		}
	}
}

// decodeUTF8 decodes one character as Node's UTF-8 decoder does (the
// WHATWG Encoding standard): an ill-formed sequence becomes one U+FFFD
// for its longest well-formed prefix, or for one byte.
func decodeUTF8(b []byte) (rune, int) {
	r, size := utf8.DecodeRune(b)
	if r != utf8.RuneError || size > 1 {
		return r, size
	}
	lo, hi, need := byte(0x80), byte(0xBF), 0
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		lo, need = 0xA0, 2
	case c == 0xED:
		hi, need = 0x9F, 2
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		lo, need = 0x90, 3
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		hi, need = 0x8F, 3
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		if b[n] < lo || b[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return utf8.RuneError, n
}

func (p *jsParser) number() (any, error) {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.s[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, p.fail()
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.fail()
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.fail()
		}
	}
	f, err := strconv.ParseFloat(string(p.s[start:p.i]), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, p.fail()
	}
	return f, nil // out of range: ±Infinity, or 0, as in JS
}

// jsonStringify is JSON.stringify(v) of a value jsonParse returned.
func jsonStringify(v any) []byte {
	var b []byte
	return appendJS(b, v)
}

func appendJS(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case float64:
		return append(b, jsNumber(x)...)
	case jsString:
		return appendJSString(b, x)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJS(b, e)
		}
		return append(b, ']')
	case *jsObject:
		b = append(b, '{')
		for i, k := range x.ownKeys() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSString(b, k)
			b = append(b, ':')
			b = appendJS(b, x.vals[propKey(k)])
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// appendJSString is QuoteJSONString: only '"', '\\' and control characters
// are escaped (and lone surrogates); everything else is written as is.
func appendJSString(b []byte, s jsString) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b = append(b, '\\', '"')
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		case utf16.IsSurrogate(rune(c)):
			if c < 0xDC00 && i+1 < len(s) && s[i+1] >= 0xDC00 && s[i+1] <= 0xDFFF {
				b = utf8.AppendRune(b, utf16.DecodeRune(rune(c), rune(s[i+1])))
				i++
				continue
			}
			b = append(b, '\\', 'u', hex[c>>12], hex[c>>8&0xF], hex[c>>4&0xF], hex[c&0xF])
		default:
			b = utf8.AppendRune(b, rune(c))
		}
	}
	return append(b, '"')
}

// jsNumber is Number::toString(x) (ECMA-262 6.1.6.1.20): the shortest
// digits that read back as x, in plain notation from 1e-6 to below 1e21.
func jsNumber(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return "null" // JSON.stringify writes non-finite numbers as null
	case x == 0:
		return "0" // -0 too
	case x < 0:
		return "-" + jsNumber(-x)
	}
	// d.ddddde±XX: digits and the exponent n where x = 0.digits × 10^n.
	e := strconv.FormatFloat(x, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	p, _ := strconv.Atoi(exp)
	n, k := p+1, len(digits)
	switch {
	case k <= n && n <= 21:
		return digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return "0." + strings.Repeat("0", -n) + digits
	}
	sign := "+"
	if n-1 < 0 {
		sign = "-"
	}
	m := digits[:1]
	if k > 1 {
		m += "." + digits[1:]
	}
	return m + "e" + sign + strconv.Itoa(abs(n-1))
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

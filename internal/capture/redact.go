package capture

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/hamsasim/hamsasim/internal/fixture"
)

// redactor replaces the personal data of one call with placeholders: the
// same original always gets the same placeholder within the call, and a
// placeholder keeps the original's format (an E.164 number, an e-mail
// address, a word), so the fixture stays valid for the contract.
//
// What counts as personal data: phone numbers (the call's from and to, fields
// named like phone, and anything shaped like a phone number in any text),
// e-mail addresses (anywhere), and person names (the values of fields named
// like name, the words of first.last@ addresses, and the words after "my
// name is", "this is", "I'm", "call me" in speech), wherever those words
// occur. Names mentioned in no such place are not recognised.
type redactor struct {
	phones map[string]string // last 10 digits -> placeholder
	emails map[string]string // lowercased address -> placeholder
	names  map[string]string // word as written -> placeholder
	canon  map[string]string // lowercased word -> placeholder
}

func newRedactor() *redactor {
	return &redactor{phones: map[string]string{}, emails: map[string]string{}, names: map[string]string{}, canon: map[string]string{}}
}

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	// A phone number in text: international (+ and 7 or more digits, with
	// spaces, dots, dashes or brackets), the 3-3-4 North American shape, or
	// a national number starting with 0 in two or three groups.
	phoneRE = regexp.MustCompile(`\+\d[\d ().-]{5,}\d|\(?\b\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b|\b0\d{2,4}[ .-]?\d{3,4}[ .-]?\d{3,4}\b`)
	// Words introduced as someone's name in speech.
	introRE = regexp.MustCompile(`(?:[Mm]y name is|[Nn]ame is|[Nn]ame's|[Tt]his is|I'm|I am|[Cc]all me|[Ss]peaking with)\s+((?:\p{Lu}[\p{L}\-]+)(?:\s+\p{Lu}[\p{L}\-]+){0,2})`)
)

// nameKey reports whether a field of this name holds a person's name.
func nameKey(k string) bool {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(k))
	if !strings.HasSuffix(n, "name") {
		return false
	}
	switch n {
	case "agentname", "toolname", "filename", "companyname", "businessname", "productname", "hostname",
		"pathname", "eventname", "servicename", "planname", "itemname", "projectname", "orgname",
		"organizationname", "organisationname", "jobname", "rolename", "teamname", "brandname", "storename":
		return false
	}
	return true
}

// phoneKey reports whether a field of this name holds a phone number.
func phoneKey(k string) bool {
	n := strings.ToLower(k)
	for _, w := range []string{"phone", "mobile", "msisdn", "whatsapp", "fromnumber", "tonumber", "callerid"} {
		if strings.Contains(strings.ReplaceAll(n, "_", ""), w) {
			return true
		}
	}
	return false
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// phone returns the placeholder of a number: +1555 and seven digits.
func (r *redactor) phone(orig string) string {
	d := digits(orig)
	if len(d) > 10 {
		d = d[len(d)-10:]
	}
	if p, ok := r.phones[d]; ok {
		return p
	}
	p := fmt.Sprintf("+1555%07d", len(r.phones)+1)
	r.phones[d] = p
	return p
}

func (r *redactor) email(orig string) string {
	k := strings.ToLower(orig)
	if p, ok := r.emails[k]; ok {
		return p
	}
	p := fmt.Sprintf("person%d@example.com", len(r.emails)+1)
	r.emails[k] = p
	return p
}

// addName registers the words of a name (two letters or more) in the forms
// they are likely written in: as given, capitalised, and in capitals.
func (r *redactor) addName(s string) {
	words := strings.FieldsFunc(s, func(c rune) bool { return !unicode.IsLetter(c) && c != '-' })
	for _, w := range words {
		// Mary-Jane also stands for Mary and Jane on their own.
		if parts := strings.Split(strings.Trim(w, "-"), "-"); len(parts) > 1 {
			words = append(words, parts...)
		}
	}
	for _, w := range words {
		w = strings.Trim(w, "-")
		if len([]rune(w)) < 2 {
			continue
		}
		key := strings.ToLower(w)
		p, ok := r.canon[key]
		if !ok {
			p = fmt.Sprintf("Name%d", len(r.canon)+1)
			r.canon[key] = p
		}
		for _, form := range []string{w, title(w), strings.ToUpper(w)} {
			r.names[form] = p
		}
	}
}

func title(w string) string {
	rs := []rune(strings.ToLower(w))
	rs[0] = unicode.ToUpper(rs[0])
	return string(rs)
}

// collect finds the names and phone numbers a fixture holds in named fields
// and in speech, before anything is replaced.
func (r *redactor) collect(f *fixture.Fixture) {
	r.phone(f.Call.From)
	r.phone(f.Call.To)
	r.collectValue("", f.Params)
	r.collectValue("", f.Outcome)
	for _, t := range f.Tools {
		r.collectValue("", t.Input)
		r.collectValue("", t.Output)
	}
	for _, t := range f.Turns {
		r.collectText(t.Text)
	}
}

func (r *redactor) collectValue(key string, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // placeholders numbered the same way on every run
		for _, k := range keys {
			r.collectValue(k, x[k])
		}
	case []any:
		for _, c := range x {
			r.collectValue(key, c)
		}
	case string:
		if key != "" && nameKey(key) && !strings.Contains(x, "@") {
			r.addName(x)
		}
		r.collectText(x)
	}
}

func (r *redactor) collectText(s string) {
	for _, m := range introRE.FindAllStringSubmatch(s, -1) {
		r.addName(m[1])
	}
	// first.last@ addresses name a person: their words are names too.
	for _, e := range emailRE.FindAllString(s, -1) {
		parts := strings.FieldsFunc(e[:strings.IndexByte(e, '@')], func(c rune) bool { return c == '.' || c == '_' || c == '-' })
		if len(parts) < 2 || len(parts) > 3 {
			continue
		}
		person := true
		for _, p := range parts {
			person = person && len(p) >= 2 && strings.IndexFunc(p, func(c rune) bool { return !unicode.IsLetter(c) }) < 0
		}
		if person {
			r.addName(strings.Join(parts, " "))
		}
	}
}

// text replaces every e-mail address, phone number and known name word in s.
func (r *redactor) text(s string) string {
	s = emailRE.ReplaceAllStringFunc(s, r.email)
	s = phoneRE.ReplaceAllStringFunc(s, func(m string) string {
		if len(digits(m)) < 7 {
			return m
		}
		return r.phone(m)
	})
	if len(r.names) == 0 {
		return s
	}
	// Replace whole words only: a run of letters (and inner dashes).
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if !unicode.IsLetter(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && (unicode.IsLetter(rs[j]) || (rs[j] == '-' && j+1 < len(rs) && unicode.IsLetter(rs[j+1]))) {
			j++
		}
		w := string(rs[i:j])
		if p, ok := r.names[w]; ok {
			b.WriteString(p)
		} else if parts := strings.Split(w, "-"); len(parts) > 1 {
			for k, part := range parts {
				if k > 0 {
					b.WriteByte('-')
				}
				if p, ok := r.names[part]; ok {
					part = p
				}
				b.WriteString(part)
			}
		} else {
			b.WriteString(w)
		}
		i = j
	}
	return b.String()
}

// value redacts every string in a JSON-shaped value; phone-named fields
// holding a number get a number placeholder.
func (r *redactor) value(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, c := range x {
			out[k] = r.value(k, c)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, c := range x {
			out[i] = r.value(key, c)
		}
		return out
	case string:
		if key != "" && phoneKey(key) && len(digits(x)) >= 7 && !strings.Contains(x, "@") {
			return r.phone(x)
		}
		return r.text(x)
	case int64:
		if key != "" && phoneKey(key) && x >= 1_000_000 {
			var n int64
			fmt.Sscan(strings.TrimPrefix(r.phone(fmt.Sprint(x)), "+"), &n)
			return n
		}
	}
	return v
}

// apply redacts the fixture in place and says what it replaced.
func (r *redactor) apply(f *fixture.Fixture) string {
	r.collect(f)
	f.Call.From, f.Call.To = r.phone(f.Call.From), r.phone(f.Call.To)
	if m, ok := r.value("", f.Params).(map[string]any); ok {
		f.Params = m
	}
	if m, ok := r.value("", f.Outcome).(map[string]any); ok {
		f.Outcome = m
	}
	for i := range f.Turns {
		f.Turns[i].Text = r.text(f.Turns[i].Text)
	}
	for i := range f.Tools {
		f.Tools[i].Input = r.value("", f.Tools[i].Input)
		f.Tools[i].Output = r.value("", f.Tools[i].Output)
	}
	return fmt.Sprintf("%d phone number(s), %d e-mail address(es) and %d name word(s) replaced by placeholders", len(r.phones), len(r.emails), len(r.canon))
}

// Package contract loads the OpenAPI description of the platform's webhooks
// (spec/hamsa-webhooks.yaml) and checks events and receivers' answers
// against it. The `webhooks:` section names one path item per event type.
package contract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/index"
)

// ErrInvalid is wrapped by every error about the contract document itself.
var ErrInvalid = errors.New("invalid contract")

// Contract is a loaded webhook contract. After Load it is safe for
// concurrent use: Load warms every webhook schema once, serially, because the
// validator's schema cache is not safe to fill from several goroutines.
type Contract struct {
	Source  string
	Title   string
	Version string

	names    []string
	webhooks map[string]*v3.PathItem
	v        validator.Validator
}

// Violation is one way an event or an answer departs from the contract.
type Violation struct {
	Field    string // JSON path in the body, e.g. $.data.data.speaker; empty for status or headers
	Reason   string
	SpecLine int // line in the contract document of the rule that failed, 0 if unknown
}

func (v Violation) String() string {
	if v.Field != "" && v.Field != "$" {
		return v.Field + ": " + v.Reason
	}
	return v.Reason
}

// Load parses an OpenAPI 3.1 document and prepares its webhooks for
// validation. source names the document in errors.
func Load(data []byte, source string) (*Contract, error) {
	cfg := datamodel.NewDocumentConfiguration()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := notOpenAPI(data, source); err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocumentWithConfiguration(data, cfg)
	if err != nil {
		return nil, specError(source, err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, specError(source, err)
	}
	if model == nil {
		return nil, fmt.Errorf("%s: %w: not an OpenAPI 3 document", source, ErrInvalid)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions(), config.WithLogger(cfg.Logger))
	if len(errs) > 0 {
		return nil, specError(source, errors.Join(errs...))
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, documentErrors(source, verrs)
	}
	c := &Contract{Source: source, webhooks: map[string]*v3.PathItem{}, v: v}
	if model.Model.Info != nil {
		c.Title, c.Version = model.Model.Info.Title, model.Model.Info.Version
	}
	if model.Model.Webhooks == nil || model.Model.Webhooks.Len() == 0 {
		return nil, fmt.Errorf("%s: %w: no webhooks: section; each event type needs an entry under webhooks:", source, ErrInvalid)
	}
	for name, item := range model.Model.Webhooks.FromOldest() {
		line := 0
		if low := item.GoLow(); low != nil && low.KeyNode != nil {
			line = low.KeyNode.Line
		}
		if item.Post == nil {
			return nil, fmt.Errorf("%s:%d: %w: webhook %q has no post operation", source, line, ErrInvalid, name)
		}
		if item.Post.RequestBody == nil {
			return nil, fmt.Errorf("%s:%d: %w: webhook %q has no requestBody", source, line, ErrInvalid, name)
		}
		c.names = append(c.names, name)
		c.webhooks[name] = item
	}
	c.warm()
	return c, nil
}

// warm validates one request and one answer per declared status per
// webhook, serially, so that every schema is compiled before concurrent use.
func (c *Contract) warm() {
	for _, name := range c.names {
		c.ValidateEvent(name, []byte(`{}`))
		for _, code := range c.declared(name) {
			status, err := strconv.Atoi(strings.ReplaceAll(code, "XX", "00"))
			if err != nil {
				continue // "default"
			}
			c.ValidateAnswer(name, []byte(`{}`), status, http.Header{"Content-Type": {"application/json"}}, []byte(`{}`))
		}
	}
}

// declared lists the answers eventType's webhook declares: "200", "2XX",
// "default", in document order.
func (c *Contract) declared(eventType string) []string {
	item, ok := c.webhooks[eventType]
	if !ok || item.Post == nil || item.Post.Responses == nil {
		return nil
	}
	var out []string
	if item.Post.Responses.Codes != nil {
		for code := range item.Post.Responses.Codes.KeysFromOldest() {
			out = append(out, code)
		}
	}
	if item.Post.Responses.Default != nil {
		out = append(out, "default")
	}
	return out
}

// EventTypes lists the webhooks in the contract, in document order.
func (c *Contract) EventTypes() []string { return append([]string(nil), c.names...) }

// RequestSchema is the JSON schema of eventType's request body, or nil when
// the contract has no such webhook or no application/json body for it.
func (c *Contract) RequestSchema(eventType string) *base.SchemaProxy {
	item, ok := c.webhooks[eventType]
	if !ok || item.Post == nil || item.Post.RequestBody == nil || item.Post.RequestBody.Content == nil {
		return nil
	}
	mt, ok := item.Post.RequestBody.Content.Get("application/json")
	if !ok || mt == nil {
		return nil
	}
	return mt.Schema
}

// Has reports whether the contract describes eventType.
func (c *Contract) Has(eventType string) bool { _, ok := c.webhooks[eventType]; return ok }

// ValidateEvent checks an event body against its webhook's request schema.
func (c *Contract) ValidateEvent(eventType string, body []byte) []Violation {
	item, ok := c.webhooks[eventType]
	if !ok {
		return []Violation{{Reason: fmt.Sprintf("the contract has no webhook named %q", eventType)}}
	}
	req := newRequest(body)
	okv, errs := c.v.GetRequestBodyValidator().ValidateRequestBodyWithPathItem(req, item, eventType)
	if okv {
		return nil
	}
	return violations(errs)
}

// ValidateAnswer checks a receiver's answer to an event: the status code must
// be declared, and the content type and body must match it.
func (c *Contract) ValidateAnswer(eventType string, reqBody []byte, status int, header http.Header, body []byte) []Violation {
	item, ok := c.webhooks[eventType]
	if !ok {
		return []Violation{{Reason: fmt.Sprintf("the contract has no webhook named %q", eventType)}}
	}
	resp := &http.Response{
		StatusCode: status,
		Header:     header.Clone(),
		Body:       io.NopCloser(bytes.NewReader(body)),
		Request:    newRequest(reqBody),
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	okv, errs := c.v.GetResponseBodyValidator().ValidateResponseBodyWithPathItem(resp.Request, resp, item, eventType)
	if okv {
		return nil
	}
	v := violations(errs)
	for i := range v {
		v[i].Reason = plainAnswerReason(v[i].Reason, status, header.Get("Content-Type"), c.declared(eventType))
	}
	return v
}

var (
	undeclaredType   = regexp.MustCompile(`response content type '[^']*' does not exist`)
	undeclaredStatus = regexp.MustCompile(`response code '\d+' does not exist`)
)

// plainAnswerReason says in plain words what the validator words for
// operations and specs: the answer's content type or status is not declared.
func plainAnswerReason(reason string, status int, contentType string, declared []string) string {
	switch {
	case undeclaredType.MatchString(reason):
		if contentType == "" {
			return fmt.Sprintf("the %d answer has no Content-Type; the contract declares application/json", status)
		}
		return fmt.Sprintf("the %d answer is %s; the contract declares application/json", status, contentType)
	case undeclaredStatus.MatchString(reason):
		return fmt.Sprintf("status %d is not an answer the contract declares (%s)", status, strings.Join(declared, ", "))
	}
	return reason
}

func newRequest(body []byte) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, "http://receiver.invalid/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// violations flattens the validator's errors into a sorted, de-duplicated
// list (the validator's order varies between calls).
func violations(errs []*verrors.ValidationError) []Violation {
	seen := map[string]bool{}
	var out []Violation
	add := func(v Violation) {
		k := v.Field + "\x00" + v.Reason
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	for _, e := range errs {
		if len(e.SchemaValidationErrors) == 0 {
			reason := e.Message
			if e.Reason != "" && e.Reason != e.Message {
				reason = e.Message + ": " + e.Reason
			}
			add(Violation{Reason: reason, SpecLine: e.SpecLine})
			continue
		}
		for _, s := range e.SchemaValidationErrors {
			field := s.FieldPath
			if field == "" {
				field = "$"
			}
			add(Violation{Field: field, Reason: s.Reason, SpecLine: e.SpecLine})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Field != out[j].Field {
			return out[i].Field < out[j].Field
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// notOpenAPI tells a document that is no OpenAPI at all (empty, or a
// mapping without openapi:, swagger: or asyncapi:) from a broken one,
// by what libopenapi detected rather than by its words.
func notOpenAPI(data []byte, source string) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%s: %w: the file is empty; it needs an OpenAPI 3 document with a webhooks: section", source, ErrInvalid)
	}
	if info, _ := datamodel.ExtractSpecInfoWithDocumentCheck(data, false); info != nil && info.SpecType == "" {
		return fmt.Errorf("%s: %w: not an OpenAPI 3 document (it needs openapi: 3.x at the top, then info: and webhooks:)", source, ErrInvalid)
	}
	return nil
}

var yamlPos = regexp.MustCompile(`\bL(\d+)\.C(\d+)\b|line (\d+)`)

// specError turns libopenapi's build errors into one message naming the
// document and the first line at fault.
func specError(source string, err error) error {
	var ie *index.IndexingError
	if errors.As(err, &ie) && ie.Node != nil {
		return fmt.Errorf("%s:%d: %w: %s", source, ie.Node.Line, ErrInvalid, oneLine(ie.Err))
	}
	msg := oneLine(err)
	if m := yamlPos.FindStringSubmatch(msg); m != nil {
		line := m[1]
		if line == "" {
			line = m[3]
		}
		if n, convErr := strconv.Atoi(line); convErr == nil {
			return fmt.Errorf("%s:%d: %w: %s", source, n, ErrInvalid, msg)
		}
	}
	return fmt.Errorf("%s: %w: %s", source, ErrInvalid, msg)
}

func documentErrors(source string, errs []*verrors.ValidationError) error {
	sort.Slice(errs, func(i, j int) bool { return errs[i].SpecLine < errs[j].SpecLine })
	var lines []string
	for i, e := range errs {
		if i == 5 {
			lines = append(lines, fmt.Sprintf("(and %d more)", len(errs)-5))
			break
		}
		reason := e.Reason
		for _, s := range e.SchemaValidationErrors {
			reason = s.Reason
			if s.FieldPath != "" {
				reason = s.FieldPath + ": " + reason
			}
			break
		}
		lines = append(lines, fmt.Sprintf("%s:%d: %s", source, e.SpecLine, reason))
	}
	return fmt.Errorf("%w: not a valid OpenAPI document:\n%s", ErrInvalid, strings.Join(lines, "\n"))
}

func oneLine(err error) string {
	if err == nil {
		return ""
	}
	s := strings.ReplaceAll(err.Error(), "\n", "; ")
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return s
}

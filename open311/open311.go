// Package open311 holds the wire format of Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2): the
// JSON and XML documents with the spec's element names, its time format and the mapping of everymeter's report
// statuses onto the spec's open/closed. It does no I/O.
package open311

import (
	"encoding/xml"
	"strings"
	"time"

	"everymeter/vocab"
)

// Spec is the specification URL a discovery document names.
const Spec = "http://wiki.open311.org/GeoReport_v2"

// TimeLayout is ISO 8601 with a numeric offset, as the spec's examples write it (2010-04-14T06:37:38-08:00).
const TimeLayout = "2006-01-02T15:04:05-07:00"

// Time formats t in loc (UTC when nil) the way the spec's examples do.
func Time(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(TimeLayout)
}

// ParseTime reads a start_date or end_date: any ISO 8601 date-time with an offset (RFC 3339), or a bare date
// taken at midnight in loc.
func ParseTime(s string, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// The two statuses of the spec.
const (
	Open   = "open"
	Closed = "closed"
)

// ClosedStatuses are the everymeter statuses reported as closed: the loop ended (vocab.TerminalStatuses: verified,
// voided or folded into another report as a duplicate). Every other status still needs someone to act, so it is open.
var ClosedStatuses = vocab.Strings(vocab.TerminalStatuses)

// Status maps an everymeter report status onto open or closed.
func Status(s string) string {
	if vocab.Status(s).Terminal() {
		return Closed
	}
	return Open
}

// Formats are the response formats, chosen by the path's suffix.
const (
	JSON = "json"
	XML  = "xml"
)

// SplitFormat splits "123.json" into "123" and "json"; ok is false without a .json or .xml suffix.
func SplitFormat(s string) (name, format string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return s, "", false
	}
	switch f := strings.ToLower(s[i+1:]); f {
	case JSON, XML:
		return s[:i], f, true
	}
	return s, "", false
}

// Discovery is the discovery document: where the endpoint lives and what it speaks.
type Discovery struct {
	XMLName    xml.Name   `json:"-" xml:"discovery"`
	Changeset  string     `json:"changeset" xml:"changeset"`
	Contact    string     `json:"contact" xml:"contact"`
	KeyService string     `json:"key_service" xml:"key_service"`
	Endpoints  []Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

// Endpoint is one endpoint of a discovery document.
type Endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"` // production or test
	Formats       []string `json:"formats" xml:"formats>format"`
}

// Service is one service type (an everymeter category).
type Service struct {
	ServiceCode string `json:"service_code" xml:"service_code"`
	ServiceName string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"` // realtime, batch or blackbox
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

// Services is the XML document of a service list (<services><service>…).
type Services struct {
	XMLName xml.Name  `xml:"services"`
	Items   []Service `xml:"service"`
}

// ServiceDefinition lists the extra attributes a service asks for.
type ServiceDefinition struct {
	XMLName     xml.Name    `json:"-" xml:"service_definition"`
	ServiceCode string      `json:"service_code" xml:"service_code"`
	Attributes  []Attribute `json:"attributes" xml:"attributes>attribute"`
}

// Attribute is one extra form field of a service definition.
type Attribute struct {
	Variable            bool    `json:"variable" xml:"variable"`
	Code                string  `json:"code" xml:"code"`
	Datatype            string  `json:"datatype" xml:"datatype"`
	Required            bool    `json:"required" xml:"required"`
	DatatypeDescription string  `json:"datatype_description" xml:"datatype_description"`
	Order               int     `json:"order" xml:"order"`
	Description         string  `json:"description" xml:"description"`
	Values              []Value `json:"values,omitempty" xml:"values>value,omitempty"`
}

// Value is one choice of a list attribute.
type Value struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

// Request is one service request (an everymeter report) as GET requests answers it. Optional members are
// pointers: JSON writes null, XML leaves the element out.
type Request struct {
	ServiceRequestID  string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       *string  `json:"status_notes" xml:"status_notes,omitempty"`
	ServiceName       *string  `json:"service_name" xml:"service_name,omitempty"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       *string  `json:"description" xml:"description,omitempty"`
	AgencyResponsible *string  `json:"agency_responsible" xml:"agency_responsible,omitempty"`
	ServiceNotice     *string  `json:"service_notice" xml:"service_notice,omitempty"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   *string  `json:"updated_datetime" xml:"updated_datetime,omitempty"`
	ExpectedDatetime  *string  `json:"expected_datetime" xml:"expected_datetime,omitempty"`
	Address           *string  `json:"address" xml:"address,omitempty"`
	AddressID         *string  `json:"address_id" xml:"address_id,omitempty"`
	Zipcode           *string  `json:"zipcode" xml:"zipcode,omitempty"`
	Lat               *float64 `json:"lat" xml:"lat,omitempty"`
	Long              *float64 `json:"long" xml:"long,omitempty"`
	MediaURL          *string  `json:"media_url" xml:"media_url,omitempty"`
}

// Requests is the XML document of a request list (<service_requests><request>…).
type Requests struct {
	XMLName xml.Name  `xml:"service_requests"`
	Items   []Request `xml:"request"`
}

// Created answers POST requests: the new request's id (this server files synchronously, so never a token).
type Created struct {
	ServiceRequestID string  `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    *string `json:"service_notice" xml:"service_notice,omitempty"`
	AccountID        *string `json:"account_id" xml:"account_id,omitempty"`
}

// CreatedList is the XML document of a POST answer.
type CreatedList struct {
	XMLName xml.Name  `xml:"service_requests"`
	Items   []Created `xml:"request"`
}

// Queued is the answer to a request that waits for moderation before it becomes a service request (a citizen
// app's): the spec's token, which the app follows until a service_request_id exists.
type Queued struct {
	Token         string  `json:"token" xml:"token"`
	ServiceNotice *string `json:"service_notice" xml:"service_notice,omitempty"`
}

// QueuedList is the XML document of a queued POST answer.
type QueuedList struct {
	XMLName xml.Name `xml:"service_requests"`
	Items   []Queued `xml:"request"`
}

// Token maps a token to the request it became.
type Token struct {
	ServiceRequestID string `json:"service_request_id" xml:"service_request_id"`
	Token            string `json:"token" xml:"token"`
}

// Tokens is the XML document of a token lookup.
type Tokens struct {
	XMLName xml.Name `xml:"service_requests"`
	Items   []Token  `xml:"request"`
}

// Error is one error of the spec's error list.
type Error struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

// Errors is the XML document of an error list (<errors><error>…).
type Errors struct {
	XMLName xml.Name `xml:"errors"`
	Items   []Error  `xml:"error"`
}

// TokenPrefix starts every token; the rest is the request id. Requests are filed synchronously, so a token is
// only a stable alias of the id for clients that expect one.
const TokenPrefix = "t-"

// TokenOf returns the token of a request id.
func TokenOf(id string) string { return TokenPrefix + id }

// RequestOfToken returns the request id a token stands for.
func RequestOfToken(token string) (string, bool) {
	id, ok := strings.CutPrefix(token, TokenPrefix)
	return id, ok && id != ""
}

// Document returns the value to encode for format: list members are wrapped in their XML root element; JSON
// lists are bare arrays.
func Document[T any](format string, items []T) any {
	if items == nil {
		items = []T{}
	}
	if format == JSON {
		return items
	}
	switch v := any(items).(type) {
	case []Service:
		return Services{Items: v}
	case []Request:
		return Requests{Items: v}
	case []Created:
		return CreatedList{Items: v}
	case []Token:
		return Tokens{Items: v}
	case []Queued:
		return QueuedList{Items: v}
	case []Error:
		return Errors{Items: v}
	}
	return items
}

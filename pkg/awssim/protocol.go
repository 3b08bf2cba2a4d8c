package awssim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ec2Namespace is the XML namespace of every EC2 query response.
const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// apiError is an EC2 error response: an HTTP status and the code the SDK surfaces as ErrorCode.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// clientError is an HTTP 400 error with a formatted message.
func clientError(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: fmt.Sprintf(format, args...)}
}

// envelope wraps every successful response: its root element is named after the action, and the action's own
// fields follow the request ID.
type envelope struct {
	XMLName   xml.Name
	Xmlns     string `xml:"xmlns,attr"`
	RequestID string `xml:"requestId"`
	Body      []byte `xml:",innerxml"`
}

// bodyElement is the scratch root that fields are marshalled under before being moved into the envelope.
const bodyElement = "body"

// wrap puts the fields of v, a response struct, into the envelope of action.
func wrap(action, requestID string, v any) (envelope, error) {
	var buf bytes.Buffer
	if err := xml.NewEncoder(&buf).EncodeElement(v, xml.StartElement{Name: xml.Name{Local: bodyElement}}); err != nil {
		return envelope{}, err
	}
	inner := buf.Bytes()
	inner = bytes.TrimPrefix(inner, []byte("<"+bodyElement+">"))
	inner = bytes.TrimSuffix(inner, []byte("</"+bodyElement+">"))
	return envelope{XMLName: xml.Name{Local: action + "Response"}, Xmlns: ec2Namespace, RequestID: requestID, Body: inner}, nil
}

// errorResponse is the body of an EC2 error.
type errorResponse struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

// writeXML writes v as the response body with the given status.
func writeXML(w http.ResponseWriter, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}

// params reads the flattened lists of the EC2 query protocol, where a list of filters is sent as Filter.1.Name,
// Filter.1.Value.1 and so on.
type params url.Values

func (p params) str(key string) string { return url.Values(p).Get(key) }

// indices returns, sorted, the numbers N for which prefix.N or prefix.N.* is present. Gaps are allowed.
func (p params) indices(prefix string) []int {
	seen := map[int]bool{}
	for key := range p {
		rest, ok := strings.CutPrefix(key, prefix+".")
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(n); err == nil && i > 0 {
			seen[i] = true
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// members returns the prefixes prefix.N of a list of structures, in order.
func (p params) members(prefix string) []string {
	var out []string
	for _, i := range p.indices(prefix) {
		out = append(out, prefix+"."+strconv.Itoa(i))
	}
	return out
}

// strs returns the values of a list of strings sent as prefix.N.
func (p params) strs(prefix string) []string {
	var out []string
	for _, m := range p.members(prefix) {
		if v := p.str(m); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// integer returns the integer at key, and false when it is absent.
func (p params) integer(key string) (int, bool, error) {
	v := p.str(key)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false, clientError("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Expected an integer.", v, key)
	}
	return n, true, nil
}

// tags returns the tags sent as prefix.N.Key and prefix.N.Value.
func (p params) tags(prefix string) (map[string]string, error) {
	out := map[string]string{}
	for _, m := range p.members(prefix) {
		key := p.str(m + ".Key")
		if key == "" {
			return nil, clientError("InvalidParameterValue", "Tag keys must not be empty.")
		}
		if strings.HasPrefix(strings.ToLower(key), "aws:") {
			return nil, clientError("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use.")
		}
		out[key] = p.str(m + ".Value")
	}
	return out, nil
}

// page returns the window of n items that MaxResults and NextToken select, and the token of the next page ("" on
// the last). The token is the offset of the next item; it is opaque to callers.
func (p params) page(n, defaultSize, minSize, maxSize int) (start, end int, next string, err error) {
	size, ok, err := p.integer("MaxResults")
	if err != nil {
		return 0, 0, "", err
	}
	if !ok {
		size = defaultSize
	} else if size < minSize || size > maxSize {
		return 0, 0, "", clientError("InvalidParameterValue", "MaxResults must be between %d and %d; got %d.", minSize, maxSize, size)
	}
	if token := p.str("NextToken"); token != "" {
		start, err = strconv.Atoi(strings.TrimPrefix(token, "page-"))
		if err != nil || !strings.HasPrefix(token, "page-") || start < 0 || start > n {
			return 0, 0, "", clientError("InvalidNextToken", "The token '%s' is invalid.", token)
		}
	}
	end = min(start+size, n)
	if end < n {
		next = "page-" + strconv.Itoa(end)
	}
	return start, end, next, nil
}

package awssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// jsonContentType is the media type of the JSON 1.1 protocol that SSM and the Price List API speak.
const jsonContentType = "application/x-amz-json-1.1"

// jsonHandler answers one JSON 1.1 operation from its raw request body; it runs with s.mu held.
type jsonHandler func(s *Server, body []byte, now time.Time) (any, error)

// jsonService is what a JSON 1.1 request's target prefix selects: its operations and the code it throttles
// with, which the SDK's retryer must recognise.
type jsonService struct {
	operations map[string]jsonHandler
	throttle   string
}

// jsonServiceOf returns the service of a target prefix such as AmazonSSM. A function rather than a table, so
// that the handlers stay unexported methods without a package-level map.
func jsonServiceOf(prefix string) (jsonService, bool) {
	switch prefix {
	case "AmazonSSM":
		return jsonService{throttle: "ThrottlingException", operations: map[string]jsonHandler{
			"GetParameter":  (*Server).getParameter,
			"GetParameters": (*Server).getParameters,
		}}, true
	case "AWSPriceListService":
		return jsonService{throttle: "ThrottlingException", operations: map[string]jsonHandler{
			"GetProducts": (*Server).getProducts,
		}}, true
	}
	return jsonService{}, false
}

// jsonError is the body of a JSON 1.1 error; the SDK strips any namespace from __type and maps it to its typed
// errors.
type jsonError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// serveJSON answers a JSON 1.1 request, whose X-Amz-Target header names the service and operation, for example
// AmazonSSM.GetParameter. Such requests count towards throttling like EC2's.
func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, target string) {
	body, readErr := io.ReadAll(r.Body)
	prefix, operation, _ := strings.Cut(target, ".")
	service, known := jsonServiceOf(prefix)

	s.mu.Lock()
	defer s.mu.Unlock()
	requestID := s.uuid()
	fail := func(e *apiError) {
		writeJSONResponse(w, e.status, requestID, jsonError{Type: e.code, Message: e.message})
	}
	if s.throttled() {
		code := service.throttle
		if code == "" {
			code = "ThrottlingException"
		}
		fail(clientError(code, "Rate exceeded"))
		return
	}
	if readErr != nil {
		fail(clientError("SerializationException", "Reading the request body: %v", readErr))
		return
	}
	h, ok := service.operations[operation]
	if !known || !ok {
		fail(clientError("UnknownOperationException", "The operation %q is not supported by this endpoint.", target))
		return
	}
	resp, err := h(s, body, s.opts.Clock())
	if err != nil {
		var e *apiError
		if !errors.As(err, &e) {
			e = &apiError{status: http.StatusInternalServerError, code: "InternalServerError", message: err.Error()}
		}
		fail(e)
		return
	}
	writeJSONResponse(w, http.StatusOK, requestID, resp)
}

// throttled counts a request and reports whether throttling fails it; it runs with s.mu held. Every protocol
// shares the count, as if all the simulated services were one endpoint with one limit.
func (s *Server) throttled() bool {
	s.requests++
	return s.throttleEvery > 0 && s.requests%s.throttleEvery == 0
}

// decodeRequest reads a JSON 1.1 request body into v. Fields the simulator does not model are ignored, so
// that newer SDKs sending more of them keep working.
func decodeRequest(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return clientError("SerializationException", "The request body is not valid JSON: %v", err)
	}
	return nil
}

// writeJSONResponse writes v as a JSON 1.1 response with the request ID header the SDK records.
func writeJSONResponse(w http.ResponseWriter, status int, requestID string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// epochSeconds is how JSON 1.1 encodes a timestamp: seconds since the Unix epoch, as a number.
func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// serviceAdmin answers the admin endpoints of the services beside EC2 (POST /admin/parameter and POST
// /admin/role) and reports whether r was one of them; other admin requests are left to serveAdmin.
func (s *Server) serviceAdmin(w http.ResponseWriter, r *http.Request) bool {
	var apply func() (any, error)
	switch strings.TrimPrefix(r.URL.Path, adminPrefix) {
	case "parameter":
		apply = func() (any, error) {
			var p AdminParameter
			if err := decodeJSON(r.Body, &p); err != nil {
				return nil, err
			}
			return s.adminSetParameter(p)
		}
	case "role":
		apply = func() (any, error) {
			var role AdminRole
			if err := decodeJSON(r.Body, &role); err != nil {
				return nil, err
			}
			return s.adminCreateRole(role)
		}
	default:
		return false
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": r.URL.Path + " accepts only POST"})
		return true
	}
	out, err := apply()
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return true
	}
	writeJSON(w, http.StatusOK, out)
	return true
}

// AdminParameter is the body of POST /admin/parameter, and its answer with the version written; see
// Server.SetParameter.
type AdminParameter struct {
	// Name is the parameter's name, for example /stevedore/images/node.
	Name string `json:"name"`
	// Value is the parameter's value, for example an AMI ID.
	Value string `json:"value"`
	// Version is the parameter's version after the write; ignored in requests.
	Version int64 `json:"version,omitempty"`
}

// adminSetParameter validates and writes a parameter for the admin API.
func (s *Server) adminSetParameter(p AdminParameter) (AdminParameter, error) {
	if p.Name == "" || p.Value == "" {
		return AdminParameter{}, errors.New("a parameter needs a name and a value")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p.Version = s.setParameter(p.Name, p.Value).version
	return p, nil
}

// AdminRole is the body of POST /admin/role, and its answer; see Server.CreateRole.
type AdminRole struct {
	// Name is the role's name.
	Name string `json:"name"`
	// Arn is the role's ARN; ignored in requests.
	Arn string `json:"arn,omitempty"`
}

// adminCreateRole validates and creates a role for the admin API.
func (s *Server) adminCreateRole(r AdminRole) (AdminRole, error) {
	if !validIAMName(r.Name) {
		return AdminRole{}, fmt.Errorf("role name %q must be 1 to 128 letters, digits and _+=,.@-", r.Name)
	}
	s.CreateRole(r.Name)
	r.Arn = fmt.Sprintf("arn:aws:iam::%s:role/%s", accountID, r.Name)
	return r, nil
}

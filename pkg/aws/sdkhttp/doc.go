// Package sdkhttp is the HTTP client Stevedore gives the AWS SDK. It reads each request body into memory before
// sending it, so the transport writes from its own copy: the SDK closes its request stream as soon as a response
// arrives, and when a server answers before the transport has finished with the request (a loopback simulator
// nearly always does) the Go transport closes the connection under the response being read, failing the call
// with "use of closed network connection" (aws/aws-sdk-go-v2#2737). Request bodies of the APIs Stevedore calls
// are small forms and JSON documents. It imports nothing of Stevedore's, so the simulator's clients can use it
// too.
package sdkhttp

// Package crash proves that Stevedore's controllers are safe to kill between any two writes: a NodeClaim's whole
// life (launch, registration, initialization, deletion, drain, termination) is replayed with the process
// "crashing" at each write in turn and restarting with fresh controllers, against a real API server and the AWS
// simulator through the real provider, and no run may leak an instance or launch a second one.
package crash

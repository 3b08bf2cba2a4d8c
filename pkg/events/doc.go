// Package events publishes Kubernetes events for every controller. A controller describes each event as an
// Event value, built by small functions beside the controller, and publishes it through a Recorder, which drops
// an event identical to one it published about the same object within a window: a controller reconciles the
// same stuck object many times, and each pass would otherwise repeat itself to the API server and to the user
// reading `kubectl describe`.
//
// The package only formats and forwards; it must not import a controller, a cloud provider (pkg/aws) or the AWS
// SDK, so that every controller can use it.
package events

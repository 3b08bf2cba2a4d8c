// Package fleet launches instances with EC2 Fleet. This file set holds the launch decision, which is pure:
// from a NodeClaim's requirements and requests and the instance types its pool may launch, which capacity
// type to ask for and which (instance type, zone) overrides to offer EC2, cheapest first.
package fleet

// Package pricing prices EC2 offerings for the node model: on-demand prices per region from the embedded
// catalog (the AWS Pricing API in production), and spot prices from a pluggable source (spot price history in
// production, a documented model offline).
package pricing

// Package cloudprovider is the boundary between Stevedore's cloud-independent controllers and a cloud: the
// CloudProvider interface, the InstanceType and Offering types the solver packs onto, and typed errors the
// controllers branch on. pkg/aws implements it; fake/ implements it in memory for tests of our own code.
package cloudprovider

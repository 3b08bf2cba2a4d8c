// Package scheduling is the requirement algebra the solver and the cloud provider share: label requirements
// with every node-selector operator (In, NotIn, Exists, DoesNotExist, Gt, Lt) and minValues, their
// intersection and compatibility, and taint toleration. It is pure: no clients, no clock, no cloud SDK.
//
// A Requirement is the set of values a label key may take. Sets are either finite ("one of these values") or
// co-finite ("anything but these values"), optionally bounded by Gt/Lt, and say whether a node may lack the
// key altogether, which is what NotIn and DoesNotExist allow and In, Exists, Gt and Lt forbid.
package scheduling

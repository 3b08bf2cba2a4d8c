package awssim_test

import "reflect"

// equal compares test values deeply; the field tables mix scalars and slices.
func equal(got, want any) bool { return reflect.DeepEqual(got, want) }

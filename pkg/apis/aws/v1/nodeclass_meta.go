package v1

// TerminationFinalizer holds an EC2NodeClass until no NodeClaim uses it and the launch templates and instance
// profile Stevedore created for it are gone.
const TerminationFinalizer = Group + "/termination"

// Annotations the node class controller writes on an EC2NodeClass (and the launcher copies onto NodeClaims), so
// drift can be detected by comparing a claim's hash with its class's.
const (
	// AnnotationEC2NodeClassHash is a hash of the spec fields that change how new instances are built.
	AnnotationEC2NodeClassHash = Group + "/ec2nodeclass-hash"
	// AnnotationEC2NodeClassHashVersion says how the hash was computed; hashes of different versions are not
	// comparable, so a claim stamped by an older controller is not reported as drifted after an upgrade.
	AnnotationEC2NodeClassHashVersion = Group + "/ec2nodeclass-hash-version"
)

// EC2NodeClassHashVersion is the current AnnotationEC2NodeClassHashVersion value.
const EC2NodeClassHashVersion = "v1"

// ConditionTypeTerminating is informational (it does not affect Ready): True while deletion waits for the
// NodeClaims that still use the class.
const ConditionTypeTerminating = "Terminating"

// Reasons of EC2NodeClass conditions and events.
const (
	ReasonSubnetsNotFound         = "SubnetsNotFound"
	ReasonSecurityGroupsNotFound  = "SecurityGroupsNotFound"
	ReasonAMIsNotFound            = "AMIsNotFound"
	ReasonRoleNotFound            = "RoleNotFound"
	ReasonInstanceProfileNotFound = "InstanceProfileNotFound"
	ReasonAliasWithAMIFamily      = "AliasWithAMIFamily"
	ReasonUserDataNotSupported    = "UserDataNotSupported"
	ReasonCustomWithoutUserData   = "CustomWithoutUserData"
	ReasonWaitingOnNodeClaims     = "WaitingOnNodeClaims"
)

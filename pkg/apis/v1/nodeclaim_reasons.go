package v1

// Reasons of NodeClaim conditions and of the lifecycle controller's events. The lifecycle controller sets them;
// `kubectl get nodeclaims` shows the first one holding Ready back.
const (
	// ReasonInsufficientCapacity means no offering the claim allows had capacity; the claim is deleted so that
	// its pods are packed again, away from the offerings the cloud just refused.
	ReasonInsufficientCapacity = "InsufficientCapacity"
	// ReasonNodeClassNotReady means the claim's node class cannot be launched from yet; the claim waits.
	ReasonNodeClassNotReady = "NodeClassNotReady"
	// ReasonLaunchFailed counts launches that failed for any other reason; they are retried with backoff.
	ReasonLaunchFailed = "LaunchFailed"
	// ReasonNodeNotFound means no Node has registered with the claim's provider ID yet.
	ReasonNodeNotFound = "NodeNotFound"
	// ReasonRegistrationTimeout means the claim's instance did not register a Node in time; the claim is deleted.
	ReasonRegistrationTimeout = "RegistrationTimeout"
	// ReasonNodeNotReady means the registered Node's Ready condition is not True.
	ReasonNodeNotReady = "NodeNotReady"
	// ReasonStartupTaintsExist means startup taints the claim expects another agent to remove are still on the Node.
	ReasonStartupTaintsExist = "StartupTaintsExist"
	// ReasonResourcesNotRegistered means the Node does not yet report an extended resource (a GPU, say) that
	// the claim's instance type has.
	ReasonResourcesNotRegistered = "ResourcesNotRegistered"
)

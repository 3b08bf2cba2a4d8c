// Package launchtemplate owns the EC2 launch templates that instances launch from: one per distinct rendered
// content (node class, image, user data with its max pods, reserved resources, labels and taints), named
// stevedore/<cluster>/<hash of the content>, so the same inputs always map to the same template and a
// restarted controller finds and reuses what it made before. Ensure creates a template at most once however many
// launches ask for it at the same time. Templates are deleted slowly, only after a long time unused
// (Options.UnusedFor), because deleting them soon after their last use makes a busy cluster re-create them in
// storms; DeleteAll removes a deleted EC2NodeClass's templates at once.
//
// The package talks to EC2 through the narrow EC2API interface. It must not import Stevedore's controllers or
// the Kubernetes client: callers hand it the node class and the node's bootstrap settings as data.
package launchtemplate

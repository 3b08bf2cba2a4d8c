{{/*
stevedore.name is the chart name, or nameOverride.
*/}}
{{- define "stevedore.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
stevedore.fullname names every resource: fullnameOverride, else the release name when it already contains the
chart name (helm install stevedore ... gives "stevedore"), else release-chart. Truncated to 63 characters, the
limit of a label value and a DNS label.
*/}}
{{- define "stevedore.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "stevedore.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
stevedore.selectorLabels select the controller's pods; they never change across upgrades, since a Deployment's
selector is immutable.
*/}}
{{- define "stevedore.selectorLabels" -}}
app.kubernetes.io/name: {{ include "stevedore.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
stevedore.labels go on every resource.
*/}}
{{- define "stevedore.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "stevedore.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: stevedore
{{- with .Values.additionalLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
stevedore.serviceAccountName is the ServiceAccount the controller runs as and the RBAC bindings name.
*/}}
{{- define "stevedore.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "stevedore.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false: name the existing ServiceAccount the controller should run as" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
stevedore.image is repository@digest when a digest is given, else repository:tag with the tag defaulting to the
chart's appVersion.
*/}}
{{- define "stevedore.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
stevedore.clusterName is settings.clusterName, failing the render with the fix when it is missing: the controller
cannot start without it, and no default could be right.
*/}}
{{- define "stevedore.clusterName" -}}
{{- required "settings.clusterName is required: set it to your EKS cluster's name, for example `helm install stevedore charts/stevedore --namespace kube-system --set settings.clusterName=my-cluster`" .Values.settings.clusterName -}}
{{- end -}}

{{/*
stevedore.featureGates renders settings.featureGates in the controller's flag form, sorted: Name=true,Name=false.
*/}}
{{- define "stevedore.featureGates" -}}
{{- $gates := list -}}
{{- range $name := keys .Values.settings.featureGates | sortAlpha -}}
{{- $gates = append $gates (printf "%s=%t" $name (index $.Values.settings.featureGates $name)) -}}
{{- end -}}
{{- join "," $gates -}}
{{- end -}}

{{/*
stevedore.withSelector returns the list of pod affinity terms or topology spread constraints in .terms, with the
controller's selector labels filled in where a term has no labelSelector, so values need not repeat them.
*/}}
{{- define "stevedore.withSelector" -}}
{{- $selector := dict "matchLabels" (include "stevedore.selectorLabels" .root | fromYaml) -}}
{{- $out := list -}}
{{- range .terms -}}
{{- $term := deepCopy . -}}
{{- if not (hasKey $term "labelSelector") -}}
{{- $_ := set $term "labelSelector" $selector -}}
{{- end -}}
{{- $out = append $out $term -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
stevedore.affinity is .Values.affinity with selector labels filled into the pod anti-affinity terms (required
terms directly, preferred terms under podAffinityTerm).
*/}}
{{- define "stevedore.affinity" -}}
{{- $affinity := deepCopy (default dict .Values.affinity) -}}
{{- with $affinity.podAntiAffinity -}}
{{- with .requiredDuringSchedulingIgnoredDuringExecution -}}
{{- $_ := set $affinity.podAntiAffinity "requiredDuringSchedulingIgnoredDuringExecution" (include "stevedore.withSelector" (dict "root" $ "terms" .) | fromYamlArray) -}}
{{- end -}}
{{- $preferred := list -}}
{{- range .preferredDuringSchedulingIgnoredDuringExecution -}}
{{- $term := deepCopy . -}}
{{- $_ := set $term "podAffinityTerm" (index (include "stevedore.withSelector" (dict "root" $ "terms" (list .podAffinityTerm)) | fromYamlArray) 0) -}}
{{- $preferred = append $preferred $term -}}
{{- end -}}
{{- if $preferred -}}
{{- $_ := set $affinity.podAntiAffinity "preferredDuringSchedulingIgnoredDuringExecution" $preferred -}}
{{- end -}}
{{- end -}}
{{- if $affinity -}}
{{- toYaml $affinity -}}
{{- end -}}
{{- end -}}

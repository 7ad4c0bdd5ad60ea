{{/* "-<revision>" or "" : the suffix of every revisioned name, as Istio's charts do. */}}
{{- define "petrel.revSuffix" -}}
{{- if .Values.revision }}-{{ .Values.revision }}{{ end -}}
{{- end }}

{{/* istiod[-<revision>]: the Deployment, Service and ServiceAccount name. */}}
{{- define "petrel.istiod" -}}
istiod{{ include "petrel.revSuffix" . }}
{{- end }}

{{/* The one Petrel image. */}}
{{- define "petrel.image" -}}
{{ .Values.global.hub }}/{{ .Values.pilot.image }}:{{ .Values.global.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Labels every object of the chart carries. */}}
{{- define "petrel.labels" -}}
app.kubernetes.io/name: istiod
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: petrel
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{/* The pilot pods: Istio's selector labels, so tools looking for istiod find them. */}}
{{- define "petrel.selector" -}}
app: istiod
istio: pilot
istio.io/rev: {{ .Values.revision | default "default" }}
{{- end }}

{{/* Where proxies reach pilot for xDS and certificates. */}}
{{- define "petrel.discoveryAddress" -}}
{{- .Values.meshConfig.defaultConfig.discoveryAddress | default (printf "%s.%s.svc:15012" (include "petrel.istiod" .) .Release.Namespace) -}}
{{- end }}

{{/* The mesh config document (ConfigMap istio, key mesh). */}}
{{- define "petrel.mesh" -}}
{{- $proxy := merge (dict "discoveryAddress" (include "petrel.discoveryAddress" .)) (omit .Values.meshConfig.defaultConfig "discoveryAddress") -}}
{{- $mesh := merge (dict "defaultConfig" $proxy "rootNamespace" .Values.global.istioNamespace) (omit .Values.meshConfig "defaultConfig") -}}
{{- toYaml $mesh -}}
{{- end }}

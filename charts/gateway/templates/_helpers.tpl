{{- define "gateway.name" -}}
{{ .Release.Name }}
{{- end }}

{{- define "gateway.serviceAccountName" -}}
{{ .Values.serviceAccount.name | default (include "gateway.name" .) }}
{{- end }}

{{- define "gateway.image" -}}
{{ .Values.global.hub }}/{{ .Values.image }}:{{ .Values.global.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "gateway.xdsAddress" -}}
{{- $rev := "" }}{{ if .Values.revision }}{{ $rev = printf "-%s" .Values.revision }}{{ end -}}
{{ .Values.xdsAddress | default (printf "istiod%s.%s.svc:15010" $rev .Values.global.istioNamespace) }}
{{- end }}

{{- define "gateway.labels" -}}
app.kubernetes.io/name: {{ include "gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: petrel
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{/* The pod labels, which Gateway selectors and the Service select on. */}}
{{- define "gateway.selector" -}}
{{- toYaml .Values.labels }}
{{- end }}

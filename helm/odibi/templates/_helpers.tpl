{{- define "odibi.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "odibi.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "odibi.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "odibi.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ default (include "odibi.fullname" .) .Values.serviceAccount.name }}
{{- else -}}
{{ default "default" .Values.serviceAccount.name }}
{{- end -}}
{{- end -}}

{{/* The environment every odibi container gets: project, env overlay, connection secrets, extras. */}}
{{- define "odibi.env" -}}
- name: ODIBI_PROJECT
  value: {{ .Values.project.path | quote }}
- name: ODIBI_ENV
  value: {{ .Values.project.env | quote }}
{{- if .Values.connections.env }}
{{- if not .Values.connections.secretName }}
{{- fail "connections.env maps variables from a Secret: set connections.secretName to the Secret's name" }}
{{- end }}
{{- range $name, $key := .Values.connections.env }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.connections.secretName }}
      key: {{ $key | quote }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "odibi.envFrom" -}}
{{- if .Values.connections.envFromSecret }}
{{- if not .Values.connections.secretName }}
{{- fail "connections.envFromSecret reads a Secret: set connections.secretName to the Secret's name" }}
{{- end }}
envFrom:
  - secretRef:
      name: {{ .Values.connections.secretName }}
{{- end }}
{{- end -}}

{{- define "odibi.volumeMounts" -}}
{{- if .Values.storage.existingClaim }}
volumeMounts:
  - name: data
    mountPath: {{ .Values.storage.mountPath }}
{{- end }}
{{- end -}}

{{- define "odibi.volumes" -}}
{{- if .Values.storage.existingClaim }}
volumes:
  - name: data
    persistentVolumeClaim:
      claimName: {{ .Values.storage.existingClaim }}
{{- end }}
{{- end -}}

{{- define "odibi.storiesUrl" -}}
{{- if .Values.stories.baseUrl -}}
{{ .Values.stories.baseUrl }}
{{- else -}}
http://{{ include "odibi.fullname" . }}-stories:{{ .Values.stories.port }}
{{- end -}}
{{- end -}}

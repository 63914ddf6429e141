{{- define "lai.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "lai.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "lai.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* repository@sha256:digest when a digest is set (staging/prod), else repository:tag. */}}
{{- define "lai.image" -}}
{{- if .digest -}}
{{- printf "%s@%s" .repository .digest -}}
{{- else if .tag -}}
{{- printf "%s:%s" .repository .tag -}}
{{- else -}}
{{- fail (printf "image %s needs a digest (or a tag in dev)" .repository) -}}
{{- end -}}
{{- end -}}

{{- define "lai.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ include "lai.fullname" . }}{{- else -}}default{{- end -}}
{{- end -}}

{{/* Environment shared by app, worker and migration: the ConfigMap is not used by the
     migration hook (hooks run before the release's regular resources exist). */}}
{{- define "lai.secretEnv" -}}
{{- range .Values.secretKeys.required }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.existingSecret }}
      key: {{ . }}
{{- end }}
{{- range .Values.secretKeys.optional }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.existingSecret }}
      key: {{ . }}
      optional: true
{{- end }}
- name: REFLEX_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.existingSecret }}
      key: REDIS_URL
{{- end -}}

{{/*
The migration hook's secrets: the owner's URL as DATABASE_URL, the app role's password
(optional: without it the role must exist), and the other required keys.
*/}}
{{- define "lai.migrationSecretEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.existingSecret }}
      key: {{ .Values.database.ownerUrlKey }}
- name: DB_APP_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.existingSecret }}
      key: {{ .Values.database.appPasswordKey }}
      optional: true
{{- range .Values.secretKeys.required }}
{{- if ne . "DATABASE_URL" }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.existingSecret }}
      key: {{ . }}
{{- end }}
{{- end }}
{{- range .Values.secretKeys.optional }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.existingSecret }}
      key: {{ . }}
      optional: true
{{- end }}
- name: REFLEX_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.existingSecret }}
      key: REDIS_URL
{{- end -}}

{{- define "lai.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end -}}

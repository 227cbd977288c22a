// What `istioctl install --set profile=demo` puts in a cluster, in local form: the ingress gateway
// (a Deployment running the proxy itself, its Service and ServiceAccount) in istio-system. Applied
// to the store when the mesh starts, so `caravel get pods -n istio-system` shows it as in Kubernetes.

/** Labels Istio's ingress gateway carries; Gateway resources select it by `istio: ingressgateway`. */
export const INGRESS_LABELS = { app: 'istio-ingressgateway', istio: 'ingressgateway' } as const;
export const INGRESS_NAMESPACE = 'istio-system';
export const INGRESS_NAME = 'istio-ingressgateway';
/** The gateway pod's HTTP port, the target of the Service's port 80 (Istio's numbers). */
export const INGRESS_HTTP_TARGET_PORT = 8080;

export const INSTALL_MANIFEST = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: istio-ingressgateway-service-account
  namespace: ${INGRESS_NAMESPACE}
  labels:
    app: ${INGRESS_LABELS.app}
    istio: ${INGRESS_LABELS.istio}
---
apiVersion: v1
kind: Service
metadata:
  name: ${INGRESS_NAME}
  namespace: ${INGRESS_NAMESPACE}
  labels:
    app: ${INGRESS_LABELS.app}
    istio: ${INGRESS_LABELS.istio}
spec:
  type: LoadBalancer
  selector:
    app: ${INGRESS_LABELS.app}
    istio: ${INGRESS_LABELS.istio}
  ports:
  - name: status-port
    port: 15021
    targetPort: 15021
  - name: http2
    port: 80
    targetPort: ${INGRESS_HTTP_TARGET_PORT}
  - name: https
    port: 443
    targetPort: 8443
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${INGRESS_NAME}
  namespace: ${INGRESS_NAMESPACE}
  labels:
    app: ${INGRESS_LABELS.app}
    istio: ${INGRESS_LABELS.istio}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: ${INGRESS_LABELS.app}
      istio: ${INGRESS_LABELS.istio}
  template:
    metadata:
      labels:
        app: ${INGRESS_LABELS.app}
        istio: ${INGRESS_LABELS.istio}
        sidecar.istio.io/inject: "false"
    spec:
      serviceAccountName: istio-ingressgateway-service-account
      containers:
      - name: istio-proxy
        image: docker.io/istio/proxyv2:1.24.0
        ports:
        - containerPort: 15021
          name: status-port
        - containerPort: ${INGRESS_HTTP_TARGET_PORT}
          name: http2
        - containerPort: 8443
          name: https
`;

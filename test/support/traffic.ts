/** The example account's production traffic as the metric tests see it: its listener, colours and load balancer, from a whole minute. */
export const T0 = Date.parse('2026-11-23T09:00:00.000Z');
export const MINUTE = 60_000;
export const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2';
export const BLUE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/6d0ecf831eec9f09';
export const GREEN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/8e4b6b8b3c5d2a10';
/** The LoadBalancer dimension of the example account's load balancer. */
export const LB = 'app/prod-alb/50dc6c495c0c9188';

import '../../polyfills.ts';

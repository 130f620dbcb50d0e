function res = hdrvdp(test, reference, color_encoding, ppd)
% Written for the itmn-bench tests; NOT HDR-VDP. It echoes what it received so that the tests
% can check the bridge's plumbing (argument order, orientation, precision), nothing else.
if ~strcmp(color_encoding, 'rgb-bt.709')
  error('fake:encoding', 'unexpected encoding %s', color_encoding);
end
res = struct();
res.Q = test(2, 3, 1);          % row 2, column 3, red
res.P_det = reference(1, 1, 3); % row 1, column 1, blue
res.C_max = ppd;
res.P_map = test(:, :, 2);
res.C_map = reference(:, :, 1);
res.class_test = class(test);
end

function res = hdrvdp3(task, test, reference, color_encoding, ppd)
% Written for the itmn-bench tests; NOT HDR-VDP. It echoes what it received so that the tests
% can check the bridge's plumbing (argument order, orientation, precision), nothing else.
if ~strcmp(color_encoding, 'rgb-bt.709')
  error('fake:encoding', 'unexpected encoding %s', color_encoding);
end
addpath(fullfile(fileparts(mfilename('fullpath')), 'utils'));  % as hdrvdp3.m does
res = struct();
res.Q = test(2, 3, 1);           % row 2, column 3, red
res.Q_JOD = reference(1, 1, 3);  % row 1, column 1, blue
res.P_det = ppd;
res.C_max = numel(task);         % 7 for 'quality', 12 for 'side-by-side'
res.P_map = test(:, :, 2);
res.C_map = reference(:, :, 1);
res.geomean_of_2_8 = geomean([2; 8]);
end
